//! Tests of the catalog service.

#[allow(unused_imports)]
use crate::fixture::*;
