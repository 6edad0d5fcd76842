//! The checkout crate's integration tests: the service against SQLite and PostgreSQL, with a
//! small table-backed implementation of the code rules.

mod fixture;
mod sales;
mod states;
