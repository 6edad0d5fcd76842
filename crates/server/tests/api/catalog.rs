//! HTTP tests of the catalog routes.

#[allow(unused_imports)]
use crate::common::*;
