//! See the module docs.

use fullhouse_core::Db;

#[derive(Clone)]
pub struct CustomerService {
    #[allow(dead_code)]
    db: Db,
}

impl CustomerService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}
