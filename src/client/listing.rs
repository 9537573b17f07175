//! Reads: one GET decoded, and listings read whole, page by page, several
//! pages at once under the pace; a page that times out is read again as
//! smaller pages.

use std::sync::atomic::Ordering;

use futures::{StreamExt, TryStreamExt};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use crate::client::api::{ApiError, Client, wire};
use crate::client::retry;

/// Items per page of a listing: the API's maximum, then smaller pages when
/// those time out (each size divides the last, so that pages line up).
const PAGE_SIZES: [u64; 3] = [PAGE_SIZE, 1000, 500];

/// Items per page of a listing, as a run plans it (the API's maximum).
pub(crate) const PAGE_SIZE: u64 = 5000;

fn smaller(limit: u64) -> Option<u64> {
    PAGE_SIZES.iter().copied().find(|s| *s < limit)
}
/// Pages of one listing fetched at once: enough to keep the pace busy, few
/// enough that pages read but not yet turned into sources stay small (a
/// page of 5,000 with attributes is tens of MB as JSON values).
const PAGES_AT_ONCE: usize = 4;

impl Client {
    /// A GET with retries, its 2xx body decoded.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, ApiError> {
        self.get_with(url, self.reads()).await
    }

    async fn get_with<T: DeserializeOwned>(
        &self,
        url: Url,
        policy: retry::Policy,
    ) -> Result<T, ApiError> {
        let answer = self
            .send_with_retries::<()>(Method::GET, url, None, policy)
            .await?;
        if answer.status.is_success() {
            answer.json()
        } else {
            Err(answer.error())
        }
    }

    /// Page `page` of a listing, `limit` items a page. A timeout is retried
    /// only at the smallest size: larger pages are split instead.
    async fn get_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        page: u64,
        limit: u64,
    ) -> Result<wire::Page<T>, ApiError> {
        let mut policy = self.reads();
        policy.retry_timeouts = smaller(limit).is_none();
        let (page, limit) = (page.to_string(), limit.to_string());
        let mut q = query.to_vec();
        q.extend([("page", page.as_str()), ("limit", limit.as_str())]);
        self.get_with(self.url(path, &q), policy).await
    }

    fn note_split(&self, limit: u64) {
        if !self.split_pages.swap(true, Ordering::Relaxed) {
            tracing::warn!("a listing page of {limit} items timed out: asking for smaller pages");
        }
    }

    /// The items of page `page` of `limit` items, read as smaller pages
    /// when it times out; pages already read are not read again.
    fn get_range<'a, T: DeserializeOwned + Send + 'a>(
        &'a self,
        path: &'a str,
        query: &'a [(&'a str, &'a str)],
        page: u64,
        limit: u64,
    ) -> futures::future::BoxFuture<'a, Result<Vec<T>, ApiError>> {
        use futures::FutureExt;
        async move {
            match self.get_page::<T>(path, query, page, limit).await {
                Ok(p) => Ok(p.results),
                Err(e) if e.timed_out() && smaller(limit).is_some() => {
                    let sub = smaller(limit).expect("a smaller size");
                    self.note_split(limit);
                    let parts = limit / sub;
                    let mut items = Vec::new();
                    for i in 0..parts {
                        let part = self.get_range(path, query, (page - 1) * parts + i + 1, sub);
                        items.extend(part.await?);
                    }
                    Ok(items)
                }
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    /// Every item of a paginated list, 5,000 a page (smaller pages when
    /// those time out). The first page tells how many there are; the others
    /// are then fetched by number, several at once under the limiter.
    /// `next_page` is not followed: paging by number is what the contract
    /// allows when it is missing, works when it points at another origin
    /// (which must never see the token), and lets pages go in parallel.
    pub(crate) async fn get_all<T: DeserializeOwned + Send>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, ApiError> {
        self.get_all_as(path, query, |item| item).await
    }

    /// As `get_all`, each page's items turned by `convert` as soon as the
    /// page is read, so that a large listing is never held whole as read.
    pub(crate) async fn get_all_as<T: DeserializeOwned + Send, U>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        mut convert: impl FnMut(T) -> U,
    ) -> Result<Vec<U>, ApiError> {
        let mut limit = PAGE_SIZES[0];
        let first: wire::Page<T> = loop {
            match self.get_page(path, query, 1, limit).await {
                Err(e) if e.timed_out() && smaller(limit).is_some() => {
                    self.note_split(limit);
                    limit = smaller(limit).expect("a smaller size");
                }
                other => break other?,
            }
        };
        let more = first.pages > 1 && !first.results.is_empty();
        let mut items: Vec<U> = first.results.into_iter().map(&mut convert).collect();
        if more {
            let mut rest = futures::stream::iter(2..=first.pages)
                .map(|page| self.get_range::<T>(path, query, page, limit))
                .buffered(PAGES_AT_ONCE);
            while let Some(page) = rest.try_next().await? {
                items.extend(page.into_iter().map(&mut convert));
            }
        }
        Ok(items)
    }
}
