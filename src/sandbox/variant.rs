//! The variations of the API the contract allows, as switches of the
//! sandbox (`--variant NAME`, or a mirrored tenant's seed).

/// The variations of the API that clients must tolerate (contract), one switch each.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Tags carry their text as `label` instead of `name`.
    TagLabel,
    /// Paging envelopes without `next_page` and `total_sum`.
    NoNextPage,
    /// `next_page` points at another origin.
    ForeignNextPage,
    /// Error bodies carry a plain string under `error`, not an object.
    PlainErrors,
    /// 5xx answers carry an HTML page instead of JSON.
    HtmlErrors,
    /// `Retry-After` as an HTTP date instead of seconds.
    RetryAfterDate,
    /// No `Retry-After` on 429.
    NoRetryAfter,
    /// 201 instead of 200 when an upsert updates.
    UpsertCreated,
    /// The `technicalName` filter of `GET /sources` matches substrings.
    PartialTechnicalName,
    /// No `X-RateLimit-Remaining` header (the contract allows it).
    NoRateLimitHeader,
    /// Requests refused during a block count in the hour, as on some
    /// tenants: a client that keeps knocking is blocked again.
    CountRefused,
    /// The hour is a fixed period from the first request, reset all at once
    /// (as on tenants whose hour restarts at an unannounced time), instead of
    /// a sliding window.
    FixedHour,
    /// Every write is refused with the same 400: a read-only version.
    ReadOnly,
    /// `GET /sources` ignores `includeAttributes` (the contract allows it).
    NoAttributes,
    /// Listed owners and stewards are user objects carrying `email`.
    UserObjects,
    /// No bulk routes: `/sources/bulk/...` answers 404.
    NoBulk,
    /// Listing pages of more than 1,000 sources take 3 s (a large tenant).
    SlowLargePages,
    /// `GET /attributes` answers 404 (a tenant that does not list them);
    /// writes are still checked against the attributes of the seed.
    NoAttributeDefinitions,
    /// `GET /attributes` answers in the paging envelope, 5 a page (the
    /// contract says to tolerate it).
    PagedAttributes,
    /// `POST /sources/bulktree` answers 201 (the contract: any 2xx).
    TreeCreated,
    /// `POST /sources/bulktree` applies the nodes before a bad one, then
    /// answers 400 (a tenant that is not atomic).
    TreeNotAtomic,
    /// Dictionary listings carry `path` but no `typePath` nor
    /// `functionalPath` (the contract says it may happen).
    NoTypePaths,
}
