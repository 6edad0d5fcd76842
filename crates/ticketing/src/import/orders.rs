//! CSV import of historical orders.
