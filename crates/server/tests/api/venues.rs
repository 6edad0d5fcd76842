//! HTTP tests of the venues routes.

#[allow(unused_imports)]
use crate::common::*;
