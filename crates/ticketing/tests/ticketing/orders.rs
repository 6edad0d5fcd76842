//! Tests of the orders service.

#[allow(unused_imports)]
use crate::fixture::*;
