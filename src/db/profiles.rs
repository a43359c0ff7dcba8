//! The `investor_profiles` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{investor_profiles, users};
use super::users::User;
use super::{AnyConnection, Backend};
use crate::domain::rules::cn_private::{Declared, InvestorType};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = investor_profiles)]
pub struct InvestorProfile {
    pub user_id: String,
    pub legal_name: String,
    pub country: String,
    pub annual_income: i64,
    pub net_worth: i64,
    pub accredited: bool,
    pub external_investments_12m: i64,
    pub kyc_status: String,
    pub kyc_reason: Option<String>,
    pub kyc_decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub approved_annual_income: Option<i64>,
    pub approved_net_worth: Option<i64>,
    pub approved_accredited: Option<bool>,
    pub approved_external_investments_12m: Option<i64>,
    pub investor_type: String,
    pub financial_assets: i64,
    pub average_income_3y: i64,
    pub sophisticated: bool,
    pub approved_investor_type: Option<String>,
    pub approved_financial_assets: Option<i64>,
    pub approved_average_income_3y: Option<i64>,
    pub approved_sophisticated: Option<bool>,
    /// EU ECSP: when the knowledge test was last passed, the last score.
    pub knowledge_test_passed_at: Option<NaiveDateTime>,
    pub knowledge_test_score: Option<i32>,
    /// EU ECSP: when the loss simulation was acknowledged, and its figure.
    pub loss_simulation_at: Option<NaiveDateTime>,
    pub loss_capacity: Option<i64>,
}

/// The figures an investor's limit was last approved on: the limit in force,
/// also while a change of them waits for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovedBasis {
    pub finances: crate::domain::rules::reg_cf::InvestorFinances,
    pub external_investments_12m: i64,
    /// What China's qualification rests on (cn_private).
    pub qualification: crate::domain::rules::cn_private::Declared,
    /// EU ECSP: a sophisticated investor.
    pub sophisticated: bool,
}

/// What a change of profile does to its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// Nothing that KYC decided on changed.
    Keep,
    /// Figures that set the limit changed: back to review; the limit last
    /// approved stays in force meanwhile.
    Limits,
    /// The identity changed, or a rejected profile is resubmitted: back to
    /// review with nothing in force.
    Identity,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = investor_profiles)]
pub struct ProfileRow<'a> {
    pub legal_name: &'a str,
    pub country: &'a str,
    pub annual_income: i64,
    pub net_worth: i64,
    pub accredited: bool,
    pub external_investments_12m: i64,
    pub investor_type: &'a str,
    pub financial_assets: i64,
    pub average_income_3y: i64,
    pub sophisticated: bool,
}

impl InvestorProfile {
    /// The approved figures, when there are any in force.
    pub fn approved_basis(&self) -> Option<ApprovedBasis> {
        let finances = crate::domain::rules::reg_cf::InvestorFinances {
            annual_income: self.approved_annual_income?,
            net_worth: self.approved_net_worth?,
            accredited: self.approved_accredited?,
        };
        Some(ApprovedBasis {
            qualification: Declared::of(
                &finances,
                InvestorType::parse(self.approved_investor_type.as_deref()?)?,
                self.approved_financial_assets?,
                self.approved_average_income_3y?,
            ),
            finances,
            external_investments_12m: self.approved_external_investments_12m?,
            sophisticated: self.approved_sophisticated?,
        })
    }

    /// What qualification would rest on once the declared figures are
    /// approved.
    pub fn declared_qualification(&self) -> Declared {
        Declared::of(
            &self.finances(),
            InvestorType::parse(&self.investor_type).unwrap_or(InvestorType::Individual),
            self.financial_assets,
            self.average_income_3y,
        )
    }

    /// The figures the Reg CF limit is computed from.
    pub fn finances(&self) -> crate::domain::rules::reg_cf::InvestorFinances {
        crate::domain::rules::reg_cf::InvestorFinances {
            annual_income: self.annual_income,
            net_worth: self.net_worth,
            accredited: self.accredited,
        }
    }

    /// These users that exist, each with their profile if they have one,
    /// by user id: one query.
    pub fn find_with_users(
        conn: &mut AnyConnection,
        user_ids: &[&str],
    ) -> QueryResult<std::collections::HashMap<String, (User, Option<Self>)>> {
        if user_ids.is_empty() {
            return Ok(Default::default());
        }
        let rows: Vec<(User, Option<Self>)> = users::table
            .left_join(investor_profiles::table)
            .filter(users::id.eq_any(user_ids))
            .select((User::as_select(), Option::<Self>::as_select()))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(u, p)| (u.id.clone(), (u, p)))
            .collect())
    }

    pub fn find(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Option<Self>> {
        investor_profiles::table
            .find(user_id)
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(
        conn: &mut AnyConnection,
        user_id: &str,
        row: &ProfileRow<'_>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(investor_profiles::table)
            .values((
                row,
                investor_profiles::user_id.eq(user_id),
                investor_profiles::kyc_status.eq("pending"),
                investor_profiles::created_at.eq(now),
                investor_profiles::updated_at.eq(now),
            ))
            .execute(conn)
    }

    /// Updates the declared figures, with what that does to the review.
    pub fn update(
        conn: &mut AnyConnection,
        user_id: &str,
        row: &ProfileRow<'_>,
        review: Review,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let target = investor_profiles::table.find(user_id);
        let back_to_review = (
            investor_profiles::kyc_status.eq("pending"),
            investor_profiles::kyc_reason.eq(None::<String>),
            investor_profiles::updated_at.eq(now),
        );
        match review {
            Review::Keep => diesel::update(target)
                .set((row, investor_profiles::updated_at.eq(now)))
                .execute(conn),
            Review::Limits => diesel::update(target)
                .set((row, back_to_review))
                .execute(conn),
            Review::Identity => diesel::update(target)
                .set((
                    row,
                    back_to_review,
                    investor_profiles::approved_annual_income.eq(None::<i64>),
                    investor_profiles::approved_net_worth.eq(None::<i64>),
                    investor_profiles::approved_accredited.eq(None::<bool>),
                    investor_profiles::approved_external_investments_12m.eq(None::<i64>),
                    investor_profiles::approved_investor_type.eq(None::<String>),
                    investor_profiles::approved_financial_assets.eq(None::<i64>),
                    investor_profiles::approved_average_income_3y.eq(None::<i64>),
                    investor_profiles::approved_sophisticated.eq(None::<bool>),
                ))
                .execute(conn),
        }
    }

    /// Records a decision on a profile that is still pending and still the
    /// version the operator reviewed: `seen` is the `updated_at` they were
    /// shown. Both are conditions of the UPDATE itself, so a change of the
    /// profile committed meanwhile (which moves `updated_at`) makes it touch
    /// nothing: on PostgreSQL an UPDATE that waited for the investor's row
    /// re-checks them on the row as committed, and approval never copies
    /// figures nobody saw. False when either no longer holds.
    pub fn decide(
        conn: &mut AnyConnection,
        user_id: &str,
        status: &str,
        reason: Option<&str>,
        operator_id: &str,
        seen: NaiveDateTime,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let target = investor_profiles::table
            .find(user_id)
            .filter(investor_profiles::kyc_status.eq("pending"))
            .filter(investor_profiles::updated_at.eq(seen));
        let decision = (
            investor_profiles::kyc_status.eq(status),
            investor_profiles::kyc_reason.eq(reason),
            investor_profiles::kyc_decided_by.eq(Some(operator_id)),
            investor_profiles::kyc_decided_at.eq(Some(now)),
            investor_profiles::updated_at.eq(now),
        );
        // Approval puts the declared figures in force; a rejection leaves none.
        let changed = if status == "approved" {
            diesel::update(target)
                .set((
                    decision,
                    investor_profiles::approved_annual_income
                        .eq(investor_profiles::annual_income.nullable()),
                    investor_profiles::approved_net_worth
                        .eq(investor_profiles::net_worth.nullable()),
                    investor_profiles::approved_accredited
                        .eq(investor_profiles::accredited.nullable()),
                    investor_profiles::approved_external_investments_12m
                        .eq(investor_profiles::external_investments_12m.nullable()),
                    investor_profiles::approved_investor_type
                        .eq(investor_profiles::investor_type.nullable()),
                    investor_profiles::approved_financial_assets
                        .eq(investor_profiles::financial_assets.nullable()),
                    investor_profiles::approved_average_income_3y
                        .eq(investor_profiles::average_income_3y.nullable()),
                    investor_profiles::approved_sophisticated
                        .eq(investor_profiles::sophisticated.nullable()),
                ))
                .execute(conn)?
        } else {
            diesel::update(target)
                .set((
                    decision,
                    investor_profiles::approved_annual_income.eq(None::<i64>),
                    investor_profiles::approved_net_worth.eq(None::<i64>),
                    investor_profiles::approved_accredited.eq(None::<bool>),
                    investor_profiles::approved_external_investments_12m.eq(None::<i64>),
                    investor_profiles::approved_investor_type.eq(None::<String>),
                    investor_profiles::approved_financial_assets.eq(None::<i64>),
                    investor_profiles::approved_average_income_3y.eq(None::<i64>),
                    investor_profiles::approved_sophisticated.eq(None::<bool>),
                ))
                .execute(conn)?
        };
        Ok(changed == 1)
    }

    /// A page of profiles in a KYC state, least recently submitted first,
    /// with each user's email. `after` is the last (updated_at, user_id) seen.
    pub fn page_by_status(
        conn: &mut AnyConnection,
        status: &str,
        after: Option<(NaiveDateTime, String)>,
        limit: i64,
    ) -> QueryResult<Vec<(InvestorProfile, String)>> {
        let mut query = investor_profiles::table
            .inner_join(users::table)
            .filter(investor_profiles::kyc_status.eq(status.to_string()))
            .order_by((
                investor_profiles::updated_at.asc(),
                investor_profiles::user_id.asc(),
            ))
            .limit(limit)
            .select((InvestorProfile::as_select(), users::email))
            .into_boxed::<Backend>();
        if let Some((at, id)) = after {
            query = query.filter(
                investor_profiles::updated_at
                    .gt(at)
                    .or(investor_profiles::updated_at
                        .eq(at)
                        .and(investor_profiles::user_id.gt(id))),
            );
        }
        query.load(conn)
    }

    /// EU ECSP: records a knowledge test taken: its score always, and
    /// `passed_at` when it passed. A failed attempt leaves the last pass as
    /// it was. `updated_at` (the version a KYC decision is taken on) is
    /// not touched: these are not figures KYC reviews.
    pub fn record_knowledge_test(
        conn: &mut AnyConnection,
        user_id: &str,
        score: i32,
        passed_at: Option<NaiveDateTime>,
    ) -> QueryResult<usize> {
        let target = investor_profiles::table.find(user_id);
        match passed_at {
            Some(at) => diesel::update(target)
                .set((
                    investor_profiles::knowledge_test_score.eq(Some(score)),
                    investor_profiles::knowledge_test_passed_at.eq(Some(at)),
                ))
                .execute(conn),
            None => diesel::update(target)
                .set(investor_profiles::knowledge_test_score.eq(Some(score)))
                .execute(conn),
        }
    }

    /// EU ECSP: records the loss simulation acknowledged at `at`, with the
    /// ability to bear loss it showed. `updated_at` is not touched (see
    /// [`Self::record_knowledge_test`]).
    pub fn record_loss_simulation(
        conn: &mut AnyConnection,
        user_id: &str,
        at: NaiveDateTime,
        loss_capacity: i64,
    ) -> QueryResult<usize> {
        diesel::update(investor_profiles::table.find(user_id))
            .set((
                investor_profiles::loss_simulation_at.eq(Some(at)),
                investor_profiles::loss_capacity.eq(Some(loss_capacity)),
            ))
            .execute(conn)
    }
}
