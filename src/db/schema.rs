//! The schema, written by hand with types both backends map
//! (Text, Integer, BigInt, Bool, Timestamp), shared by SQLite and PostgreSQL.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        display_name -> Text,
        role -> Text,
        email_verified_at -> Nullable<Timestamp>,
        // No longer used (see `sign_in_emails`); kept for older servers.
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        sign_in_alert_at -> Nullable<Timestamp>,
        locale -> Nullable<Text>,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    user_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        user_id -> Text,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    sign_in_addresses (email, client_ip) {
        email -> Text,
        client_ip -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_failure_at -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sign_in_emails (email) {
        email -> Text,
        failures -> Integer,
        locked_until -> Nullable<Timestamp>,
        last_failure_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (bucket, window_start) {
        bucket -> Text,
        window_start -> BigInt,
        hits -> Integer,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        recipient -> Text,
        // Set by older releases; null for messages kept as `kind` + `params`.
        subject -> Nullable<Text>,
        body_text -> Nullable<Text>,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        kind -> Nullable<Text>,
        params -> Nullable<Text>,
        locale -> Nullable<Text>,
        time_zone -> Nullable<Text>,
    }
}

diesel::table! {
    investor_profiles (user_id) {
        user_id -> Text,
        legal_name -> Text,
        country -> Text,
        annual_income -> BigInt,
        net_worth -> BigInt,
        accredited -> Bool,
        external_investments_12m -> BigInt,
        kyc_status -> Text,
        kyc_reason -> Nullable<Text>,
        kyc_decided_by -> Nullable<Text>,
        kyc_decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        approved_annual_income -> Nullable<BigInt>,
        approved_net_worth -> Nullable<BigInt>,
        approved_accredited -> Nullable<Bool>,
        approved_external_investments_12m -> Nullable<BigInt>,
        investor_type -> Text,
        financial_assets -> BigInt,
        average_income_3y -> BigInt,
        sophisticated -> Bool,
        approved_investor_type -> Nullable<Text>,
        approved_financial_assets -> Nullable<BigInt>,
        approved_average_income_3y -> Nullable<BigInt>,
        approved_sophisticated -> Nullable<Bool>,
        knowledge_test_passed_at -> Nullable<Timestamp>,
        knowledge_test_score -> Nullable<Integer>,
        loss_simulation_at -> Nullable<Timestamp>,
        loss_capacity -> Nullable<BigInt>,
    }
}

diesel::table! {
    offerings (id) {
        id -> Text,
        sponsor_id -> Text,
        title -> Text,
        summary -> Text,
        description -> Text,
        security_type -> Text,
        price_per_share -> BigInt,
        target_amount -> BigInt,
        min_raise -> BigInt,
        min_subscription -> BigInt,
        max_per_investor -> Nullable<BigInt>,
        opens_at -> Nullable<Timestamp>,
        closes_at -> Timestamp,
        status -> Text,
        raised -> BigInt,
        rejection_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        approved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        fee_bps -> Nullable<Integer>,
        version -> BigInt,
        change_seq -> BigInt,
        documents_revision -> BigInt,
        rule_profile -> Text,
        max_investors -> Nullable<BigInt>,
        investor_count -> BigInt,
        lead_min_bps -> Nullable<Integer>,
        lead_investor_id -> Nullable<Text>,
        lead_revision -> BigInt,
    }
}

diesel::table! {
    ledger_accounts (id) {
        id -> Text,
        kind -> Text,
        owner_id -> Text,
        currency -> Text,
        balance -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    journal_entries (id) {
        id -> Text,
        kind -> Text,
        reference_id -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    postings (id) {
        id -> Text,
        entry_id -> Text,
        account_id -> Text,
        amount -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Text,
        offering_id -> Text,
        investor_id -> Text,
        shares -> BigInt,
        amount -> BigInt,
        status -> Text,
        entry_id -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        documents_revision -> BigInt,
        reconfirmation -> Nullable<Text>,
        material_change_id -> Nullable<Text>,
        reconfirm_by -> Nullable<Timestamp>,
        revocable_until -> Nullable<Timestamp>,
        risk_acknowledged -> Bool,
    }
}

diesel::table! {
    deposits (id) {
        id -> Text,
        user_id -> Text,
        reference -> Text,
        amount -> BigInt,
        status -> Text,
        bank_txn_id -> Nullable<Text>,
        entry_id -> Nullable<Text>,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        returned_entry_id -> Nullable<Text>,
        returned_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    withdrawals (id) {
        id -> Text,
        user_id -> Text,
        account_id -> Text,
        reference -> Text,
        amount -> BigInt,
        status -> Text,
        bank_txn_id -> Nullable<Text>,
        hold_entry_id -> Text,
        paid_entry_id -> Nullable<Text>,
        created_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
        returned_entry_id -> Nullable<Text>,
        returned_at -> Nullable<Timestamp>,
        return_bank_txn_id -> Nullable<Text>,
    }
}

diesel::table! {
    bank_events (bank_txn_id) {
        bank_txn_id -> Text,
        kind -> Text,
        reference -> Text,
        amount -> BigInt,
        outcome -> Text,
        raw_body -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, idem_key) {
        user_id -> Text,
        idem_key -> Text,
        request_hash -> Text,
        locked_at -> Timestamp,
        status_code -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(investor_profiles -> users (user_id));
diesel::table! {
    stored_files (id) {
        id -> Text,
        storage -> Text,
        chunk_size -> Integer,
        size -> BigInt,
        sha256 -> Nullable<Text>,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    stored_file_chunks (file_id, seq) {
        file_id -> Text,
        seq -> Integer,
        size -> Integer,
        sha256 -> Text,
        bytes -> Nullable<Binary>,
    }
}

diesel::table! {
    offering_documents (id) {
        id -> Text,
        offering_id -> Text,
        kind -> Text,
        visibility -> Text,
        current_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    document_versions (document_id, version) {
        document_id -> Text,
        version -> Integer,
        file_id -> Text,
        file_name -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        offering_revision -> BigInt,
        amendment -> Bool,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offering_updates (id) {
        id -> Text,
        offering_id -> Text,
        author_id -> Text,
        title -> Text,
        body -> Text,
        body_format -> Text,
        audience -> Text,
        publish_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offering_posts (id) {
        id -> Text,
        offering_id -> Text,
        question_id -> Nullable<Text>,
        author_id -> Text,
        body -> Text,
        from_sponsor -> Bool,
        paid_promoter -> Bool,
        sponsor_affiliated -> Bool,
        hidden_at -> Nullable<Timestamp>,
        hidden_by -> Nullable<Text>,
        hidden_reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    material_changes (id) {
        id -> Text,
        offering_id -> Text,
        kind -> Text,
        document_id -> Nullable<Text>,
        version -> Nullable<Integer>,
        reason -> Text,
        declared_by -> Text,
        declared_at -> Timestamp,
        deadline -> Timestamp,
        remind_at -> Timestamp,
        reminded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    offering_leads (id) {
        id -> Text,
        offering_id -> Text,
        investor_id -> Text,
        carry_bps -> Integer,
        terms -> Text,
        appointed_by -> Text,
        appointed_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        end_reason -> Nullable<Text>,
    }
}

diesel::joinable!(subscriptions -> offerings (offering_id));
diesel::joinable!(offering_updates -> offerings (offering_id));
diesel::joinable!(document_versions -> offering_documents (document_id));
diesel::joinable!(offering_documents -> offerings (offering_id));
diesel::joinable!(postings -> journal_entries (entry_id));
diesel::joinable!(postings -> ledger_accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    material_changes,
    offering_updates,
    offering_posts,
    user_tokens,
    refresh_tokens,
    investor_profiles,
    offerings,
    ledger_accounts,
    journal_entries,
    postings,
    subscriptions,
    deposits,
    withdrawals,
    bank_events,
    idempotency_keys,
    settlements,
    holdings,
    audit_log,
    ledger_seals,
    entry_seals,
    unallocated_deposits,
    bank_transfers,
    job_failures,
    stored_files,
    stored_file_chunks,
    offering_documents,
    document_versions,
    offering_leads,
);

diesel::table! {
    settlements (offering_id) {
        offering_id -> Text,
        entry_id -> Text,
        gross -> BigInt,
        fee -> BigInt,
        net -> BigInt,
        fee_bps -> Integer,
        settled_by -> Text,
        settled_at -> Timestamp,
    }
}

diesel::table! {
    holdings (id) {
        id -> Text,
        investor_id -> Text,
        offering_id -> Text,
        shares -> BigInt,
        price_per_share -> BigInt,
        amount -> BigInt,
        acquired_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_role -> Text,
        action -> Text,
        subject_type -> Text,
        subject_id -> Text,
        request_id -> Nullable<Text>,
        details -> Text,
    }
}

diesel::table! {
    ledger_seals (seq) {
        seq -> BigInt,
        prev_hash -> Text,
        hash -> Text,
        entry_count -> Integer,
        sealed_at -> Timestamp,
        format -> Integer,
    }
}

diesel::table! {
    entry_seals (entry_id) {
        entry_id -> Text,
        seal_seq -> BigInt,
        entry_hash -> Text,
    }
}

diesel::table! {
    /// Journal entries not sealed yet (filled by a trigger on insert).
    unsealed_entries (entry_id) {
        entry_id -> Text,
    }
}

diesel::joinable!(holdings -> offerings (offering_id));
diesel::joinable!(entry_seals -> journal_entries (entry_id));

diesel::table! {
    /// Incoming money that matched no deposit, held in suspense until resolved.
    unallocated_deposits (id) {
        id -> Text,
        bank_txn_id -> Text,
        reference -> Text,
        amount -> BigInt,
        reason -> Text,
        deposit_id -> Nullable<Text>,
        status -> Text,
        entry_id -> Text,
        credited_to -> Nullable<Text>,
        resolved_entry_id -> Nullable<Text>,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        return_bank_txn_id -> Nullable<Text>,
        note -> Nullable<Text>,
        received_at -> Timestamp,
    }
}

diesel::table! {
    /// Every movement of money across the bank boundary.
    bank_transfers (id) {
        id -> Text,
        direction -> Text,
        kind -> Text,
        subject_id -> Text,
        bank_txn_id -> Nullable<Text>,
        reference -> Text,
        amount -> BigInt,
        entry_id -> Text,
        booked_at -> Timestamp,
    }
}

diesel::table! {
    /// Money that left the bank and matched no transfer (or not its amount
    /// or reference), until an operator assigns it or writes it off.
    unreconciled_movements (id) {
        id -> Text,
        bank_txn_id -> Text,
        kind -> Text,
        reference -> Text,
        original_bank_txn_id -> Nullable<Text>,
        amount -> BigInt,
        reason -> Text,
        withdrawal_id -> Nullable<Text>,
        deposit_id -> Nullable<Text>,
        status -> Text,
        entry_id -> Text,
        assigned_kind -> Nullable<Text>,
        assigned_id -> Nullable<Text>,
        resolved_entry_id -> Nullable<Text>,
        resolved_by -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        note -> Nullable<Text>,
        received_at -> Timestamp,
    }
}

diesel::table! {
    /// Background work that failed for one subject, retried after a back-off.
    job_failures (job, subject_id) {
        job -> Text,
        subject_id -> Text,
        attempts -> Integer,
        last_error -> Text,
        failed_at -> Timestamp,
        next_attempt_at -> Timestamp,
    }
}
