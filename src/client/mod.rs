//! The DataGalaxy API as the program speaks it: the wire types and one
//! attempt (`api`), the pace every attempt keeps (`pace`, `budget`), what
//! an answer means and what follows it (`exchange`, with `retry`'s backoff
//! and the `breaker` that stops a failing run), the run's stop (`halt`,
//! which the pace heeds and the run decides), reads and listings
//! (`listing`), the shapes its answers take where the API varies (`shapes`),
//! and the session that opens the API or an in-process sandbox.

pub mod api;
pub mod base_url;
pub mod breaker;
pub mod budget;
pub mod exchange;
pub mod halt;
pub mod listing;
pub mod pace;
pub mod retry;
pub mod routes;
pub mod session;
pub mod shapes;
