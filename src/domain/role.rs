//! Who a user is on the platform.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Investor,
    Sponsor,
    Operator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Investor => "investor",
            Role::Sponsor => "sponsor",
            Role::Operator => "operator",
        }
    }

    /// Roles a person may choose at sign-up; operators are made on the command line.
    pub fn self_service(self) -> bool {
        !matches!(self, Role::Operator)
    }
}

impl FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "investor" => Ok(Role::Investor),
            "sponsor" => Ok(Role::Sponsor),
            "operator" => Ok(Role::Operator),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
