"""English. Django template syntax; every value in the context is already text (amounts carry their currency,
`*_date` and `*_at` values are written out in the reader's language before rendering). `title` is the in-app and
push title and the email subject; `body` the in-app, push and email text; `sms` (optional) replaces title and body in
an SMS, where 160 characters is one message."""

MESSAGES: dict[str, dict[str, str]] = {
    "contribution_due_soon": {
        "title": "{{ group }}: {{ amount }} due {{ due_date }}",
        "body": "Your cycle {{ cycle }} contribution of {{ amount }} to {{ group }} is due on {{ due_date }}. "
        "Pay from your wallet or by M-Pesa before then to avoid a late penalty.",
        "sms": "Pamoja: your {{ group }} contribution of {{ amount }} is due on {{ due_date }}.",
    },
    "contribution_due_today": {
        "title": "{{ group }}: {{ amount }} due today",
        "body": "Your cycle {{ cycle }} contribution of {{ amount }} to {{ group }} is due today. Pay now to avoid "
        "a late penalty.",
        "sms": "Pamoja: your {{ group }} contribution of {{ amount }} is due TODAY.",
    },
    "contribution_late": {
        "title": "{{ group }}: your contribution is late",
        "body": "Your cycle {{ cycle }} contribution of {{ amount }} was due on {{ due_date }} and is not paid. "
        "Pay it as soon as you can; the group's penalty rules apply.",
        "sms": "Pamoja: your {{ group }} contribution of {{ amount }} due {{ due_date }} is late. Please pay now.",
    },
    "contribution_paid": {
        "title": "{{ group }}: contribution received",
        "body": "We received your cycle {{ cycle }} contribution of {{ amount }} to {{ group }}. Thank you.",
    },
    "penalty_charged": {
        "title": "{{ group }}: a penalty of {{ amount }}",
        "body": "{{ group }} charged you a penalty of {{ amount }}: {{ reason }}.",
        "sms": "Pamoja: {{ group }} charged you a penalty of {{ amount }} ({{ reason }}).",
    },
    "fine_levied": {
        "title": "{{ group }}: a fine of {{ amount }}",
        "body": "An official of {{ group }} fined you {{ amount }}. Reason: {{ reason }}",
        "sms": "Pamoja: {{ group }} fined you {{ amount }}. Reason: {{ reason }}",
    },
    "payout_paid": {
        "title": "{{ group }}: your payout is in your wallet",
        "body": "Your payout of {{ amount }} from {{ group }} is in your wallet (fee {{ fee }}, deductions "
        "{{ deductions }}).",
        "sms": "Pamoja: your {{ group }} payout of {{ amount }} is in your wallet.",
    },
    "payment_recorded": {
        "title": "{{ group }}: your {{ method }} payment is in",
        "body": "{{ group }} recorded your {{ method }} payment of {{ amount }}, receipt {{ receipt }}.",
        "sms": "Pamoja: {{ group }} recorded your {{ method }} payment of {{ amount }}, receipt {{ receipt }}.",
    },
    "cash_paid_out": {
        "title": "{{ group }}: cash handed to you is recorded",
        "body": "{{ group }} recorded {{ amount }} in cash handed to you, receipt {{ receipt }}. If you did not "
        "receive it, tell your chairperson.",
    },
    "payment_to_confirm": {
        "title": "{{ group }}: a payment to confirm",
        "body": "{{ member }} paid {{ amount }} by {{ method }}. A second official must confirm it before it counts.",
    },
    "group_invite": {
        "title": "Join {{ group }}",
        "body": "{{ inviter }} invited you to join {{ group }} on Pamoja. Your invite code is {{ invite_code }}.",
        "sms": "Pamoja: {{ inviter }} invited you to {{ group }}. Invite code: {{ invite_code }}",
    },
    "group_started": {
        "title": "{{ group }} has started",
        "body": "{{ group }} has started. The first contribution is due on {{ first_due_date }}.",
        "sms": "Pamoja: {{ group }} has started. First contribution due {{ first_due_date }}.",
    },
    "group_completed": {
        "title": "{{ group }} is complete",
        "body": "Every member of {{ group }} has had their payout. Well done, and thank you for saving together.",
    },
    "group_cancelled": {
        "title": "{{ group }} was cancelled",
        "body": "{{ group }} was cancelled: {{ reason }} Anything you paid in is back in your wallet.",
        "sms": "Pamoja: {{ group }} was cancelled. Anything you paid is back in your wallet.",
    },
    "group_inactive": {
        "title": "{{ group }} looks inactive",
        "body": "No contribution has been paid to {{ group }} for {{ days }} days. Check in with your members.",
    },
    "group_weekly_summary": {
        "title": "{{ group }}: the week in numbers",
        "body": "{{ summary }}",
    },
    "meeting_scheduled": {
        "title": "{{ group }}: meeting on {{ meeting_at }}",
        "body": "{{ group }} meets on {{ meeting_at }}{% if place %} at {{ place }}{% endif %}.",
        "sms": "Pamoja: {{ group }} meets on {{ meeting_at }}{% if place %} at {{ place }}{% endif %}.",
    },
    "resolution_proposed": {
        "title": "{{ group }}: vote on paying {{ amount }}",
        "body": "An official of {{ group }} proposes paying {{ amount }} to {{ beneficiary }}. {{ reason }} "
        "Vote yes or no before {{ closes_at }}.",
        "sms": "Pamoja: {{ group }} asks you to vote on paying {{ amount }} to {{ beneficiary }}. Vote in the app "
        "before {{ closes_at }}.",
    },
    "resolution_passed": {
        "title": "{{ group }}: paying {{ amount }} to {{ beneficiary }} passed",
        "body": "The members of {{ group }} voted to pay {{ amount }} to {{ beneficiary }} ({{ yes }} yes, {{ no }} "
        "no). An official will now pay it.",
    },
    "resolution_failed": {
        "title": "{{ group }}: paying {{ amount }} to {{ beneficiary }} did not pass",
        "body": "The vote of {{ group }} on paying {{ amount }} to {{ beneficiary }} did not pass ({{ yes }} yes, "
        "{{ no }} no, or too few votes). Nothing is paid.",
    },
    "resolution_paid": {
        "title": "{{ group }}: {{ amount }} is in your wallet",
        "body": "{{ group }} paid you {{ amount }}, as its members voted. It is in your wallet.",
        "sms": "Pamoja: {{ group }} paid you {{ amount }}, as its members voted.",
    },
    "share_out_proposed": {
        "title": "{{ group }}: vote on sharing out the pot now",
        "body": "An official of {{ group }} proposes sharing out the pot now, before the end of the period: each "
        "member gets their savings back and a part of the earnings by their share-months. {{ reason }} Vote yes or no "
        "before {{ closes_at }}.",
        "sms": "Pamoja: {{ group }} asks you to vote on sharing out the pot now. Vote in the app before "
        "{{ closes_at }}.",
    },
    "share_out_passed": {
        "title": "{{ group }}: sharing out the pot now passed",
        "body": "The members of {{ group }} voted to share out the pot now ({{ yes }} yes, {{ no }} no). An official "
        "will now share it out.",
    },
    "share_out_failed": {
        "title": "{{ group }}: sharing out the pot now did not pass",
        "body": "The vote of {{ group }} on sharing out the pot now did not pass ({{ yes }} yes, {{ no }} no, or too "
        "few votes). The pot is shared out at the end of the period as planned.",
    },
    "rules_proposed": {
        "title": "{{ group }}: vote on a change of the rules",
        "body": "An official of {{ group }} proposes changing the group's rules. {{ reason }} Read the new rules in "
        "the app and vote yes or no before {{ closes_at }}.",
        "sms": "Pamoja: {{ group }} asks you to vote on a change of its rules. Vote in the app before {{ closes_at }}.",
    },
    "rules_passed": {
        "title": "{{ group }}: the change of rules passed",
        "body": "The members of {{ group }} voted for the new rules ({{ yes }} yes, {{ no }} no). They apply once an "
        "official other than the proposer confirms them.",
    },
    "rules_failed": {
        "title": "{{ group }}: the change of rules did not pass",
        "body": "The vote of {{ group }} on new rules did not pass ({{ yes }} yes, {{ no }} no, or too few votes). "
        "The rules stay as they are.",
    },
    "share_out_paid": {
        "title": "{{ group }}: your share-out of {{ amount }} is in your wallet",
        "body": "{{ group }} shared out its pot (share-out {{ number }}): your savings of {{ savings }} and "
        "{{ earnings }} of the group's earnings, {{ amount }} in all after fees, are in your wallet. The statement "
        "shows how it was worked out.",
        "sms": "Pamoja: {{ group }} shared out its pot. {{ amount }} (savings {{ savings }}, earnings {{ earnings }}) "
        "is in your wallet.",
    },
    "plan_lapsed": {
        "title": "{{ group }}: the {{ plan }} plan could not be paid",
        "body": "We could not bill {{ amount }} for the {{ plan }} plan of {{ group }}, so the group is on the Free "
        "plan's limits until it is paid. Nothing is lost: top up and we try again tomorrow.",
        "sms": "Pamoja: the {{ plan }} plan of {{ group }} ({{ amount }}) could not be paid. Free limits apply until "
        "it is.",
    },
    "loan_applied": {
        "title": "{{ group }}: a loan application",
        "body": "{{ borrower }} applied for a loan of {{ amount }}. Officials decide once the guarantors have "
        "answered.",
    },
    "guarantee_requested": {
        "title": "{{ group }}: guarantee {{ amount }}?",
        "body": "{{ borrower }} asks you to guarantee {{ amount }} of a loan from {{ group }} for: {{ purpose }}. "
        "If they do not repay, your savings may cover it.",
        "sms": "Pamoja: {{ borrower }} asks you to guarantee {{ amount }} of a {{ group }} loan. Open the app to "
        "answer.",
    },
    "loan_approved": {
        "title": "{{ group }}: your loan is approved",
        "body": "Your loan of {{ amount }} from {{ group }} is approved. It will be paid to your wallet.",
        "sms": "Pamoja: your {{ group }} loan of {{ amount }} is approved.",
    },
    "loan_rejected": {
        "title": "{{ group }}: your loan was not approved",
        "body": "Your loan application of {{ amount }} to {{ group }} was not approved. {{ reason }}",
        "sms": "Pamoja: your {{ group }} loan application of {{ amount }} was not approved.",
    },
    "loan_disbursed": {
        "title": "{{ group }}: your loan is in your wallet",
        "body": "{{ amount }} from {{ group }} is in your wallet. Your repayment schedule is in the app.",
        "sms": "Pamoja: your {{ group }} loan of {{ amount }} is in your wallet.",
    },
    "loan_instalment_due": {
        "title": "{{ group }}: loan repayment of {{ amount }} due {{ due_date }}",
        "body": "Your loan repayment of {{ amount }} to {{ group }} is due on {{ due_date }}.",
        "sms": "Pamoja: your {{ group }} loan repayment of {{ amount }} is due on {{ due_date }}.",
    },
    "loan_overdue": {
        "title": "{{ group }}: loan repayment overdue",
        "body": "Your loan repayment of {{ amount }} to {{ group }} was due on {{ due_date }} and is not paid. "
        "Late fees may apply and your guarantors may be asked to pay.",
        "sms": "Pamoja: your {{ group }} loan repayment of {{ amount }} due {{ due_date }} is OVERDUE.",
    },
    "deposit_credited": {
        "title": "{{ amount }} added to your wallet",
        "body": "Your deposit of {{ amount }} by {{ method }} is in your wallet.",
        "sms": "Pamoja: your deposit of {{ amount }} by {{ method }} is in your wallet.",
    },
    "withdrawal_sent": {
        "title": "{{ amount }} sent",
        "body": "Your withdrawal of {{ amount }} to {{ destination }} has been sent.",
        "sms": "Pamoja: your withdrawal of {{ amount }} to {{ destination }} has been sent.",
    },
    "withdrawal_failed": {
        "title": "Your withdrawal of {{ amount }} failed",
        "body": "Your withdrawal of {{ amount }} did not go through: {{ reason }} The money is back in your wallet.",
        "sms": "Pamoja: your withdrawal of {{ amount }} failed. The money is back in your wallet.",
    },
    "withdrawal_reversed": {
        "title": "Your withdrawal of {{ amount }} was returned",
        "body": "The provider returned your withdrawal of {{ amount }}. The money is back in your wallet.",
        "sms": "Pamoja: your withdrawal of {{ amount }} was returned to your wallet.",
    },
    "transfer_received": {
        "title": "You received {{ amount }}",
        "body": "{{ sender }} sent you {{ amount }}. It is in your wallet.",
        "sms": "Pamoja: {{ sender }} sent you {{ amount }}.",
    },
    "bill_delivered": {
        "title": "{{ service }}: {{ amount }} paid",
        "body": "Your {{ service }} payment of {{ amount }} for {{ customer }} is done."
        "{% if token %} Token: {{ token }}{% if units %} ({{ units }}){% endif %}.{% endif %}",
        "sms": "Pamoja: {{ service }} {{ amount }} for {{ customer }} paid.{% if token %} Token: {{ token }}"
        "{% endif %}",
    },
    "bill_refunded": {
        "title": "{{ service }}: {{ amount }} refunded",
        "body": "Your {{ service }} payment of {{ amount }} for {{ customer }} did not go through. The money is "
        "back in your wallet.",
        "sms": "Pamoja: {{ service }} payment of {{ amount }} failed and is back in your wallet.",
    },
    "bill_token": {
        "title": "Your {{ service }} token",
        "body": "Token for {{ customer }}: {{ token }}{% if units %} ({{ units }}){% endif %}.",
        "sms": "Pamoja: {{ service }} token for {{ customer }}: {{ token }}",
    },
    "loyalty_reward_issued": {
        "title": "{{ merchant }}: a reward for you",
        "body": "{{ merchant }}: you earned {{ reward }}.{% if code %} Your code: {{ code }}{% endif %}",
        "sms": "{{ merchant }}: you earned {{ reward }}.{% if code %} Code: {{ code }}{% endif %}",
    },
    "loyalty_reward_expiring": {
        "title": "{{ merchant }}: your reward expires soon",
        "body": "{{ merchant }}: your reward ({{ reward }}) expires on {{ expires_date }}. Use it before then.",
        "sms": "{{ merchant }}: your reward ({{ reward }}) expires on {{ expires_date }}.",
    },
    "loyalty_budget_low": {
        "title": "{{ tenant }}: budget {{ budget }} is running low",
        "body": "Rewards this period have used {{ used }} of the budget {{ budget }} (alert at {{ threshold }}, cap "
        "{{ cap }}). Top it up or pause rules before it runs out.",
    },
    "loyalty_reward_low_stock": {
        "title": "{{ tenant }}: {{ reward }} is running out",
        "body": "{{ reward }} has {{ left }} left (alert at {{ threshold }}). Add codes or stock before it runs out.",
    },
    "kyc_approved": {
        "title": "Your identity is verified",
        "body": "Your identity check is approved; your account is now at the {{ tier }} level with higher limits.",
        "sms": "Pamoja: your identity check is approved. Your limits are now higher.",
    },
    "kyc_rejected": {
        "title": "Your identity check was not approved",
        "body": "We could not verify your identity: {{ reason }} You can try again from your profile.",
        "sms": "Pamoja: we could not verify your identity. Open the app to try again.",
    },
    "new_sign_in": {
        "title": "New sign-in to your account",
        "body": "Your Pamoja account was signed in to on {{ signed_in_at }} from {{ device }} ({{ ip }}). If this "
        "was not you, change your password now and sign out of every device.",
        "sms": "Pamoja: new sign-in on {{ signed_in_at }} from {{ device }}. Not you? Change your password now.",
    },
    "password_changed": {
        "title": "Your password was changed",
        "body": "Your Pamoja password was changed and every device was signed out. If this was not you, reset your "
        "password now and contact support.",
        "sms": "Pamoja: your password was changed. Not you? Reset it now and contact support.",
    },
    "pin_changed": {
        "title": "Your transaction PIN was changed",
        "body": "Your Pamoja transaction PIN was changed. If this was not you, contact support now.",
        "sms": "Pamoja: your transaction PIN was changed. Not you? Contact support now.",
    },
    "two_factor_enabled": {
        "title": "Two-step sign-in is on",
        "body": "Two-step sign-in was turned on for your Pamoja account. Keep your recovery codes safe.",
        "sms": "Pamoja: two-step sign-in was turned on for your account.",
    },
    "two_factor_disabled": {
        "title": "Two-step sign-in is off",
        "body": "Two-step sign-in was turned off for your Pamoja account. If this was not you, change your "
        "password now and contact support.",
        "sms": "Pamoja: two-step sign-in was turned OFF. Not you? Contact support now.",
    },
    "email_verification": {
        "title": "Confirm your email",
        "body": "Welcome to Pamoja{% if first_name %}, {{ first_name }}{% endif %}. Confirm your email to move "
        "money: {{ link }}\nThe link works for three days.",
    },
    "email_change_verification": {
        "title": "Confirm your new email",
        "body": "Confirm your new email address: {{ link }}\nThe link works for three days.",
    },
    "password_reset": {
        "title": "Reset your password",
        "body": "Reset your Pamoja password: {{ link }}\nIf you did not ask for this, ignore this message.",
    },
    "sign_up_attempted": {
        "title": "Someone tried to sign up with your email",
        "body": "Someone tried to create a Pamoja account with this email address. If it was you, sign in or "
        "reset your password instead. If not, you can ignore this message: nothing changed.",
    },
    "sign_up_phone_taken": {
        "title": "We could not create your account",
        "body": "That phone number is already on a Pamoja account. Sign in to that account, or sign up with "
        "another number.",
    },
    "reactivation_code": {
        "title": "Your code to reactivate your account",
        "body": "Welcome back. To move money again, enter this code in the app: {{ code }}\nIt works for 30 minutes.",
    },
}

# The words around every email, and how dates are written.
EMAIL = {
    "greeting": "Hello",
    "open": "Open in Pamoja",
    "footer": "You get this because you use Pamoja. Choose what we send you in Settings, Notifications.",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
