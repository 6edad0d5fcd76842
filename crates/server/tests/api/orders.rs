//! HTTP tests of the orders routes.

#[allow(unused_imports)]
use crate::common::*;
