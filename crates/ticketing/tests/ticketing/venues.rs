//! Tests of the venues service.

#[allow(unused_imports)]
use crate::fixture::*;
