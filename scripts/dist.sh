#!/usr/bin/env bash
# Builds and packs a release into dist/: a static Linux binary (musl) and a
# Windows one (cross-built with MinGW), each in an archive with the README,
# the changelog, the license, the man page, completions and the samples;
# then SHA256SUMS over the archives. Run from the repository root on Linux:
#
#     scripts/dist.sh
#
# It installs what it needs that is missing: the Rust targets with rustup;
# gcc-mingw-w64-x86-64, musl-tools and zip with apt-get when run as root
# (otherwise it stops and prints the command to run).
set -euo pipefail
cd "$(dirname "$0")/.."

LINUX=x86_64-unknown-linux-musl
WINDOWS=x86_64-pc-windows-gnu
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
TARGET_DIR=target/dist
DIST=dist

say() { printf '%s\n' "$*" >&2; }

# --- what it needs -----------------------------------------------------------
installed_targets=$(rustup target list --installed)
for target in "$LINUX" "$WINDOWS"; do
    if ! grep -qx "$target" <<<"$installed_targets"; then
        say "adding the Rust target $target"
        rustup target add "$target"
    fi
done
missing=()
command -v musl-gcc >/dev/null || missing+=(musl-tools)
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
command -v zip >/dev/null || missing+=(zip)
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        say "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        say "missing: ${missing[*]}; install them, then run this again:"
        say "    sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
fi

# --- build ---------------------------------------------------------------------
export CC_x86_64_unknown_linux_musl=musl-gcc
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
for target in "$LINUX" "$WINDOWS"; do
    say "building $target"
    cargo build --release --locked --target "$target" --target-dir "$TARGET_DIR"
done
linux_bin="$TARGET_DIR/$LINUX/release/dg-import"
windows_bin="$TARGET_DIR/$WINDOWS/release/dg-import.exe"
strip "$linux_bin"
x86_64-w64-mingw32-strip "$windows_bin"

# The Windows binary imports only DLLs Windows ships itself.
if x86_64-w64-mingw32-objdump -p "$windows_bin" | grep -iE 'DLL Name: (libgcc_s|libwinpthread|libstdc\+\+)'; then
    say "dg-import.exe needs a MinGW DLL beside it (above): refusing to pack it"
    exit 1
fi
# The Linux binary needs no libc of the system's.
if file "$linux_bin" | grep -q 'dynamically linked'; then
    say "$linux_bin is dynamically linked: refusing to pack it"
    exit 1
fi

# --- pack ------------------------------------------------------------------------
rm -rf "$DIST"
mkdir -p "$DIST"
stage() { # stage TARGET BINARY: the archive's folder, filled
    local folder="$DIST/dg-import-$VERSION-$1"
    mkdir -p "$folder/completions"
    cp "$2" README.md LICENSE CHANGELOG.md "$folder/"
    cp -R samples "$folder/"
    # The man page and completions come from the clap definitions, through
    # the Linux binary (the Windows one has the same command line).
    "$linux_bin" manpage >"$folder/dg-import.1"
    "$linux_bin" completions bash >"$folder/completions/dg-import.bash"
    "$linux_bin" completions zsh >"$folder/completions/_dg-import"
    "$linux_bin" completions fish >"$folder/completions/dg-import.fish"
    "$linux_bin" completions powershell >"$folder/completions/_dg-import.ps1"
    printf '%s\n' "$folder"
}
linux_folder=$(stage "$LINUX" "$linux_bin")
windows_folder=$(stage "$WINDOWS" "$windows_bin")
(cd "$DIST" && tar -czf "$(basename "$linux_folder").tar.gz" "$(basename "$linux_folder")")
(cd "$DIST" && zip -qr "$(basename "$windows_folder").zip" "$(basename "$windows_folder")")
rm -rf "$linux_folder" "$windows_folder"
(cd "$DIST" && sha256sum -- *.tar.gz *.zip >SHA256SUMS)

say ""
say "dg-import $VERSION, in $DIST/:"
(cd "$DIST" && ls -l -- *.tar.gz *.zip SHA256SUMS | awk '{printf "  %-55s %10s bytes\n", $9, $5}') >&2
"$linux_bin" --version >&2
