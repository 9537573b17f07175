//! The DataGalaxy API as the program speaks it: the routes and wire types
//! (`api`), the pace every request keeps (`pace`), how failures are retried
//! (`retry`), the breaker that stops a failing run, and the session that
//! opens the API or an in-process sandbox.

pub mod api;
pub mod breaker;
pub mod budget;
pub mod pace;
pub mod retry;
pub mod session;
