//! See the module docs.

use fullhouse_core::Db;

#[derive(Clone)]
pub struct OrderService {
    #[allow(dead_code)]
    db: Db,
}

impl OrderService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}
