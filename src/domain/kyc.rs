//! Know-your-customer review states and the investor profile's fields.

use super::money::parse_non_negative;
use super::rules::cn_private::InvestorType;
use super::text::{self, Lines};
use super::FieldError;
use crate::i18n::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KycStatus {
    Pending,
    Approved,
    Rejected,
}

impl KycStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// A profile as the investor declares it, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvestorProfileInput {
    pub legal_name: String,
    pub country: String,
    pub annual_income: i64,
    pub net_worth: i64,
    pub accredited: bool,
    pub external_investments_12m: i64,
    /// What the other rule profiles ask: see [`MarketDeclarations`].
    pub market: MarketDeclarations,
}

/// What cn_private (investor type, financial assets, three-year average
/// income) and eu_ecsp (sophisticated status) ask an investor to declare.
/// Every deployment records them; its profile decides what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketDeclarations {
    pub investor_type: InvestorType,
    pub financial_assets: i64,
    pub average_income_3y: i64,
    pub sophisticated: bool,
}

impl MarketDeclarations {
    pub fn parse(
        investor_type: Option<&str>,
        financial_assets: i64,
        average_income_3y: i64,
        sophisticated: bool,
    ) -> Result<Self, FieldError> {
        let investor_type = match investor_type {
            None => InvestorType::Individual,
            Some(t) => InvestorType::parse(t).ok_or_else(|| {
                FieldError::new(
                    "investor_type",
                    Text::new("problem-invalid_field-investor_type"),
                )
            })?,
        };
        Ok(Self {
            investor_type,
            financial_assets: parse_non_negative("financial_assets", financial_assets)?,
            average_income_3y: parse_non_negative("average_income_3y", average_income_3y)?,
            sophisticated,
        })
    }
}

impl InvestorProfileInput {
    pub fn parse(
        legal_name: &str,
        country: &str,
        annual_income: i64,
        net_worth: i64,
        accredited: bool,
        external_investments_12m: i64,
        market: MarketDeclarations,
    ) -> Result<Self, FieldError> {
        let legal_name = text::required("legal_name", legal_name, 200, Lines::One)?;
        let country = country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(FieldError::new(
                "country",
                Text::new("problem-invalid_field-country"),
            ));
        }
        Ok(Self {
            legal_name,
            country,
            annual_income: parse_non_negative("annual_income", annual_income)?,
            net_worth: parse_non_negative("net_worth", net_worth)?,
            accredited,
            external_investments_12m: parse_non_negative(
                "external_investments_12m",
                external_investments_12m,
            )?,
            market,
        })
    }
}
