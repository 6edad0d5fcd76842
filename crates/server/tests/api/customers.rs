//! HTTP tests of the customers routes.

#[allow(unused_imports)]
use crate::common::*;
