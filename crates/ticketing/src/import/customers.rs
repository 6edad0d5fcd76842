//! CSV import of customers.
