//! The checkout crate's integration tests: the service against SQLite and PostgreSQL, with a
//! small table-backed implementation of the code rules.

mod boxoffice;
mod code_limits;
mod fixture;
mod sales;
mod states;
