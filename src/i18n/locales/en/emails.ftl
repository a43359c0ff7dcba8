# Every email the platform sends. Each has a subject, a heading, a
# preheader (the line a mail app shows beside the subject) and the
# paragraphs named after it.

email-verify-email-subject = Confirm your email address
email-verify-email-heading = Welcome to crowdfund
email-verify-email-preheader = One step left: confirm your email address.
email-verify-email-body = Confirm your email address to finish signing up.
email-verify-email-button = Confirm my email address
email-verify-email-expiry = The link works once and expires in { $hours ->
    [one] 1 hour
   *[other] { $hours } hours
}. If you did not sign up, ignore this message.

email-password-reset-subject = Reset your password
email-password-reset-heading = Reset your password
email-password-reset-preheader = Someone asked to reset the password of your account.
email-password-reset-body = Someone asked to reset the password of your crowdfund account. To choose a new password, open this link.
email-password-reset-button = Choose a new password
email-password-reset-expiry = The link works once and expires in { $minutes ->
    [one] 1 minute
   *[other] { $minutes } minutes
}. If it was not you, ignore this message: your password stays as it is.

email-password-changed-subject = Your password was changed
email-password-changed-heading = Your password was changed
email-password-changed-preheader = Every other session of your account was signed out.
email-password-changed-body = The password of your crowdfund account has just been changed, and every other session of the account was signed out.
email-password-changed-advice = If it was you, there is nothing to do. If it was not, choose a new password at once with "Forgot password" (that signs out every session, the intruder's too) and contact support.

email-failed-sign-ins-subject = Failed sign-ins to your account
email-failed-sign-ins-heading = Failed sign-ins to your account
email-failed-sign-ins-preheader = Someone failed to sign in to your account { $failures } times in a row.
email-failed-sign-ins-body = Someone has just failed to sign in to your crowdfund account { $failures } times in a row, most recently from the address { $address }.
email-failed-sign-ins-advice = If it was you, there is nothing to do. If it was not, your account is safe as long as your password is: sign-ins from an address that keeps failing are paused for longer each time. To be sure, choose a new password with "Forgot password": that also signs out every session.

email-kyc-approved-subject = Your identity check is approved
email-kyc-approved-heading = You can invest now
email-kyc-approved-preheader = Your investor profile was approved.
email-kyc-approved-body = We checked the investor profile you sent and approved it. You can now subscribe to open offerings, within the investment limit your profile allows.

email-kyc-rejected-subject = Your identity check needs another look
email-kyc-rejected-heading = We could not approve your profile
email-kyc-rejected-preheader = Your investor profile was not approved yet.
email-kyc-rejected-body = We could not approve the investor profile you sent. Our reviewer wrote:
email-kyc-rejected-advice = Correct your profile in the app and send it again; we review every new version.

email-deposit-credited-subject = Your deposit { $reference } has arrived
email-deposit-credited-heading = Your deposit has arrived
email-deposit-credited-preheader = { $amount } is in your account.
email-deposit-credited-body = Your bank transfer has arrived and { $amount } is now in your available balance.
email-deposit-credited-next = You can subscribe to open offerings with it, or withdraw it to your bank.

email-unallocated-credited-subject = A transfer has been credited to your account
email-unallocated-credited-heading = A transfer has been credited to you
email-unallocated-credited-preheader = { $amount } is in your account.
email-unallocated-credited-body = A bank transfer of { $amount } (reference "{ $reference }") did not match a deposit you announced. Our team identified it as yours and credited it to your available balance.
email-unallocated-credited-next = Next time, announce the deposit in the app first and use the reference it gives you, so the money arrives at once.

email-withdrawal-paid-subject = Your withdrawal { $reference } is paid
email-withdrawal-paid-heading = Your withdrawal is on its way
email-withdrawal-paid-preheader = { $amount } left for your bank.
email-withdrawal-paid-body = We paid { $amount } to your bank account. Banks usually show it within one or two business days.
email-withdrawal-paid-next = If it has not arrived in five business days, contact support with the reference above.

email-withdrawal-returned-subject = Your withdrawal { $reference } came back
email-withdrawal-returned-heading = Your withdrawal came back
email-withdrawal-returned-preheader = { $amount } is back in your account.
email-withdrawal-returned-body = The bank did not complete your withdrawal { $reference } of { $amount }. The money is back in your available balance.
email-withdrawal-returned-next = Check the bank details you gave us and ask for the withdrawal again, or contact support.

email-deposit-returned-subject = Your deposit { $reference } was returned
email-deposit-returned-heading = Your deposit was returned
email-deposit-returned-preheader = Your bank took back { $amount }.
email-deposit-returned-body = Your bank took back the transfer of { $amount } for deposit { $reference }.
email-deposit-returned-covered = It has been taken off your available balance.
email-deposit-returned-owed = Your available balance covered { $covered } of it, so you now owe { $owed }. Until that is paid, withdrawals and new subscriptions are refused; your next deposits pay it off first.
email-deposit-returned-advice = If this is unexpected, contact your bank.

email-subscription-confirmed-subject = Subscription confirmed: { $offering }
email-subscription-confirmed-heading = Your subscription is confirmed
email-subscription-confirmed-preheader = You subscribed to { $offering }.
email-subscription-confirmed-body = Thank you for investing in { $offering }. Your subscription is confirmed:
email-subscription-confirmed-escrow = The amount is held in escrow until the offering closes. You can cancel until 48 hours before the deadline, while the offering is open.
email-subscription-confirmed-cancel-until = The amount is held in escrow until the offering closes. You can cancel the subscription until { $until }, while the offering is open.
email-subscription-confirmed-revoke-until = The amount is held in escrow until the offering closes. You may revoke this subscription without giving a reason until { $until } (your four-day reflection period); the money then comes back to your account at once.
email-subscription-confirmed-final = The amount is held in escrow until the offering closes. As a sophisticated investor you have no reflection period: the subscription stands.

email-subscription-cancelled-subject = Subscription cancelled: { $offering }
email-subscription-cancelled-heading = Your subscription is cancelled
email-subscription-cancelled-preheader = { $amount } is back in your account.
email-subscription-cancelled-body = Your subscription for { $shares } of { $offering } is cancelled, and { $amount } is back in your account.

email-subscription-lapsed-subject = Subscription cancelled, not reconfirmed: { $offering }
email-subscription-lapsed-heading = Your subscription is cancelled
email-subscription-lapsed-preheader = It was not reconfirmed in time; { $amount } is back in your account.
email-subscription-lapsed-body = The terms of { $offering } changed materially and your subscription for { $shares } was not reconfirmed by its deadline, so it is cancelled and { $amount } is back in your account.

email-subscription-refunded-subject = Refund made: { $offering }
email-subscription-refunded-heading = Your money is back
email-subscription-refunded-preheader = { $amount } is back in your account.
email-subscription-refunded-body = { $offering } did not go ahead, so your subscription for { $shares } was refunded: { $amount } is back in your account.

email-shares-allotted-subject = Shares allotted: { $offering }
email-shares-allotted-heading = Your shares are yours
email-shares-allotted-preheader = The round of { $offering } is settled.
email-shares-allotted-body = The round of { $offering } is settled.
email-shares-allotted-holdings = They are listed under your holdings.

email-offering-funded-subject = Offering funded: { $offering }
email-offering-funded-heading = { $offering } is funded
email-offering-funded-preheader = The round reached its goal.
email-offering-funded-body = { $offering } reached its goal. Your subscription stands and will be settled.

email-offering-failed-subject = Offering failed: { $offering }
email-offering-failed-heading = { $offering } did not reach its minimum
email-offering-failed-preheader = Your money will be refunded.
email-offering-failed-body = { $offering } did not reach its minimum. Your money will be refunded to your account.

email-offering-cancelled-subject = Offering cancelled: { $offering }
email-offering-cancelled-heading = { $offering } was cancelled
email-offering-cancelled-preheader = Your money will be refunded.
email-offering-cancelled-body = { $offering } was cancelled. Your money will be refunded to your account.

email-offering-closed-sponsor-subject = Your offering is { $status }: { $offering }
email-offering-closed-sponsor-heading = { $offering } is { $status }
email-offering-closed-sponsor-preheader = The round has closed.
email-offering-closed-sponsor-body = { $offering } is now { $status }.

email-offering-settled-sponsor-subject = Settlement done: { $offering }
email-offering-settled-sponsor-heading = { $offering } is settled
email-offering-settled-sponsor-preheader = Your payout is ready.
email-offering-settled-sponsor-body = { $offering } is settled:
email-offering-settled-sponsor-withdraw = The payout is in your payout account; withdraw it to your bank from there.

email-material-change-subject = Reconfirm your investment in { $offering }
email-material-change-heading = Reconfirm your investment
email-material-change-preheader = The terms of { $offering } changed. Reconfirm by { $deadline }.
email-material-change-reminder-subject = Reminder: reconfirm your investment in { $offering } by { $deadline }
email-material-change-reminder-heading = Reminder: reconfirm your investment
email-material-change-reminder-preheader = Reconfirm by { $deadline }, or your subscription is cancelled.
email-material-change-body = The terms of { $offering } have changed materially: its { $document } was amended.
email-material-change-reason = What changed, in the sponsor's words:
email-material-change-reconfirm = Your subscription stands only if you reconfirm it by { $deadline }, in the app. If you do not, it is cancelled at that time and your money returned to your account. You may also cancel it yourself until then.

email-document-amended-subject = Document amended: { $offering }
email-document-amended-heading = A document was amended
email-document-amended-preheader = The { $document } of { $offering } has a new version.
email-document-amended-body = The sponsor of { $offering } has published a new version of its { $document }. Read it before the round closes.
email-document-amended-stands = Your subscription stands as it is; the versions in force when you subscribed are listed with it in your portfolio.

email-offering-update-subject = { $offering }: { $title }
email-offering-update-heading = { $title }
email-offering-update-preheader = The sponsor of { $offering } posted an update.
email-offering-update-body = The sponsor of { $offering } has posted an update:
email-offering-update-why = You receive this because you invested in { $offering }.

email-new-question-subject = New question on { $offering }
email-new-question-heading = A new question on { $offering }
email-new-question-preheader = An investor asked about { $offering }.
email-new-question-body = Someone has asked a question about { $offering }:
email-new-question-answer = Everyone can read it and your answer. Answer in public: a reply from your account is marked as the sponsor's.

email-question-answered-subject = The sponsor of { $offering } answered your question
email-question-answered-heading = Your question was answered
email-question-answered-preheader = The sponsor of { $offering } replied.
email-question-answered-body = The sponsor of { $offering } has answered your question:

# The lead investor of a led round withdrew.
email-lead-withdrawn-subject = Reconfirm your investment in { $offering }: its lead investor withdrew
email-lead-withdrawn-heading = The lead investor withdrew
email-lead-withdrawn-preheader = { $offering } has no lead investor now. Reconfirm by { $deadline }.
email-lead-withdrawn-reminder-subject = Reminder: reconfirm your investment in { $offering } by { $deadline }
email-lead-withdrawn-reminder-heading = Reminder: reconfirm your investment
email-lead-withdrawn-reminder-preheader = Reconfirm by { $deadline }, or your subscription is cancelled.
email-lead-withdrawn-body = The lead investor of { $offering } has withdrawn their commitment. You subscribed as a follower of that lead, so your subscription now waits for you to decide again. The round cannot settle until a lead investor commits.
