//! Tests of the customers service.

#[allow(unused_imports)]
use crate::fixture::*;
