//! Use cases. Each public function is one unit of work over one connection
//! (usually one transaction); none knows about HTTP.

pub mod accounts;
