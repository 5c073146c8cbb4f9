//! The store conformance suite against a real PostgreSQL, each test in a
//! schema of its own (see `support`).

mod support;

granttrail_store_conformance::store_conformance_tests!(support::fresh());
