"""Kiswahili (sw), as a chama member in Kenya or Tanzania reads it in M-Pesa-style messages. Same events, fields and
template variables as `en.py`; every value in the context is already text (amounts carry their currency, `*_date`
and `*_at` values are written out with `MONTHS` below, e.g. "5 Des 2026"). `title` is the in-app and push title and
the email subject; `body` the in-app, push and email text; `sms` (optional) replaces title and body in an SMS, where
160 characters is one message.

Conventions: the wallet is "pochi yako" throughout (the Pamoja account itself is "akaunti"); group is "kikundi";
payout "mgao"; loan repayment "marejesho"; deposit "amana"; withdrawal "utoaji" / "pesa ulizotoa"; code "msimbo";
app "programu"; support "huduma kwa wateja". Where a group name would be the subject of a verb, the sentence is
passive ("umetozwa ... na {{ group }}") or names it "kikundi {{ group }}", so the verb agrees whatever the name is.
Amounts take singular agreement as M-Pesa writes them ("KES 1,000.00 imelipwa"). "Pamoja:" opens every SMS, as in
English."""

MESSAGES: dict[str, dict[str, str]] = {
    "contribution_due_soon": {
        "title": "{{ group }}: mchango wa {{ amount }} kufikia {{ due_date }}",
        "body": "Mchango wako wa {{ amount }} kwa {{ group }} (mzunguko wa {{ cycle }}) unapaswa kulipwa kufikia "
        "tarehe {{ due_date }}. Lipa kutoka pochi yako au kwa M-Pesa kabla ya hapo ili kuepuka adhabu ya kuchelewa.",
        "sms": "Pamoja: mchango wako wa {{ amount }} kwa {{ group }} unapaswa kulipwa kufikia tarehe {{ due_date }}.",
    },
    "contribution_due_today": {
        "title": "{{ group }}: lipa mchango wa {{ amount }} leo",
        "body": "Mchango wako wa {{ amount }} kwa {{ group }} (mzunguko wa {{ cycle }}) unapaswa kulipwa leo. Lipa "
        "sasa ili kuepuka adhabu ya kuchelewa.",
        "sms": "Pamoja: mchango wako wa {{ amount }} kwa {{ group }} unapaswa kulipwa LEO.",
    },
    "contribution_late": {
        "title": "{{ group }}: mchango wako umechelewa",
        "body": "Mchango wako wa {{ amount }} (mzunguko wa {{ cycle }}) ulipaswa kulipwa tarehe {{ due_date }} na "
        "bado haujalipwa. Ulipe haraka iwezekanavyo; kanuni za adhabu za kikundi zinatumika.",
        "sms": "Pamoja: mchango wako wa {{ amount }} kwa {{ group }} uliopaswa kulipwa tarehe {{ due_date }} "
        "umechelewa. Tafadhali lipa sasa.",
    },
    "contribution_paid": {
        "title": "{{ group }}: mchango umepokelewa",
        "body": "Tumepokea mchango wako wa {{ amount }} kwa {{ group }} (mzunguko wa {{ cycle }}). Asante.",
    },
    "penalty_charged": {
        "title": "{{ group }}: adhabu ya {{ amount }}",
        "body": "Umetozwa adhabu ya {{ amount }} na {{ group }}: {{ reason }}.",
        "sms": "Pamoja: umetozwa adhabu ya {{ amount }} na {{ group }} ({{ reason }}).",
    },
    "fine_levied": {
        "title": "{{ group }}: faini ya {{ amount }}",
        "body": "Kiongozi wa {{ group }} amekutoza faini ya {{ amount }}. Sababu: {{ reason }}",
        "sms": "Pamoja: umetozwa faini ya {{ amount }} na {{ group }}. Sababu: {{ reason }}",
    },
    "payout_paid": {
        "title": "{{ group }}: mgao wako umeingia kwenye pochi yako",
        "body": "Mgao wako wa {{ amount }} kutoka {{ group }} umeingia kwenye pochi yako (ada {{ fee }}, makato "
        "{{ deductions }}).",
        "sms": "Pamoja: mgao wako wa {{ amount }} kutoka {{ group }} umeingia kwenye pochi yako.",
    },
    "payment_recorded": {
        "title": "{{ group }}: malipo yako kwa {{ method }} yamepokelewa",
        "body": "Malipo yako ya {{ amount }} kwa {{ method }} yamerekodiwa na {{ group }}, risiti {{ receipt }}.",
        "sms": "Pamoja: malipo yako ya {{ amount }} kwa {{ method }} yamerekodiwa na {{ group }}, risiti "
        "{{ receipt }}.",
    },
    "cash_paid_out": {
        "title": "{{ group }}: pesa taslimu ulizokabidhiwa zimerekodiwa",
        "body": "Pesa taslimu {{ amount }} ulizokabidhiwa zimerekodiwa na {{ group }}, risiti {{ receipt }}. Kama "
        "hukuzipokea, mjulishe mwenyekiti wako.",
    },
    "payment_to_confirm": {
        "title": "{{ group }}: malipo yanasubiri uthibitisho",
        "body": "{{ member }} amelipa {{ amount }} kwa {{ method }}. Kiongozi wa pili lazima ayathibitishe kabla "
        "hayajahesabiwa.",
    },
    "group_invite": {
        "title": "Jiunge na {{ group }}",
        "body": "{{ inviter }} amekualika ujiunge na {{ group }} kwenye Pamoja. Msimbo wako wa mwaliko ni "
        "{{ invite_code }}.",
        "sms": "Pamoja: {{ inviter }} amekualika ujiunge na {{ group }}. Msimbo wa mwaliko: {{ invite_code }}",
    },
    "group_started": {
        "title": "{{ group }}: kikundi kimeanza",
        "body": "Kikundi {{ group }} kimeanza. Mchango wa kwanza unapaswa kulipwa kufikia tarehe {{ first_due_date }}.",
        "sms": "Pamoja: kikundi {{ group }} kimeanza. Mchango wa kwanza unapaswa kulipwa kufikia tarehe "
        "{{ first_due_date }}.",
    },
    "group_completed": {
        "title": "{{ group }}: kikundi kimekamilika",
        "body": "Kila mwanachama wa {{ group }} amepokea mgao wake. Hongera, na asante kwa kuweka akiba pamoja.",
    },
    "group_cancelled": {
        "title": "{{ group }}: kikundi kimefutwa",
        "body": "Kikundi {{ group }} kimefutwa: {{ reason }} Pesa zote ulizochanga zimerudishwa kwenye pochi yako.",
        "sms": "Pamoja: kikundi {{ group }} kimefutwa. Pesa zote ulizochanga zimerudishwa kwenye pochi yako.",
    },
    "group_inactive": {
        "title": "{{ group }}: kikundi hakina shughuli",
        "body": "Hakuna mchango uliolipwa kwa {{ group }} kwa siku {{ days }}. Wasiliana na wanachama wako.",
    },
    "group_weekly_summary": {
        "title": "{{ group }}: takwimu za wiki",
        "body": "{{ summary }}",
    },
    "meeting_scheduled": {
        "title": "{{ group }}: mkutano tarehe {{ meeting_at }}",
        "body": "Mkutano wa {{ group }} utafanyika tarehe {{ meeting_at }}{% if place %} katika {{ place }}"
        "{% endif %}.",
        "sms": "Pamoja: mkutano wa {{ group }} utafanyika tarehe {{ meeting_at }}{% if place %} katika {{ place }}"
        "{% endif %}.",
    },
    "resolution_proposed": {
        "title": "{{ group }}: piga kura juu ya kulipa {{ amount }}",
        "body": "Kiongozi wa {{ group }} anapendekeza kulipa {{ amount }} kwa {{ beneficiary }}. {{ reason }} Piga "
        "kura ya ndiyo au hapana kabla ya {{ closes_at }}.",
        "sms": "Pamoja: {{ group }} inakuomba upige kura juu ya kulipa {{ amount }} kwa {{ beneficiary }}. Piga kura "
        "kwenye programu kabla ya {{ closes_at }}.",
    },
    "resolution_passed": {
        "title": "{{ group }}: malipo ya {{ amount }} kwa {{ beneficiary }} yamepitishwa",
        "body": "Wanachama wa {{ group }} wamepiga kura kulipa {{ amount }} kwa {{ beneficiary }} (ndiyo {{ yes }}, "
        "hapana {{ no }}). Kiongozi atalipa sasa.",
    },
    "resolution_failed": {
        "title": "{{ group }}: malipo ya {{ amount }} kwa {{ beneficiary }} hayakupitishwa",
        "body": "Kura ya {{ group }} juu ya kulipa {{ amount }} kwa {{ beneficiary }} haikupita (ndiyo {{ yes }}, "
        "hapana {{ no }}, au kura hazikutosha). Hakuna kitakacholipwa.",
    },
    "resolution_paid": {
        "title": "{{ group }}: {{ amount }} imeingia kwenye pochi yako",
        "body": "{{ group }} imekulipa {{ amount }}, kama wanachama walivyopiga kura. Imeingia kwenye pochi yako.",
        "sms": "Pamoja: {{ group }} imekulipa {{ amount }}, kama wanachama walivyopiga kura.",
    },
    "share_out_proposed": {
        "title": "{{ group }}: piga kura juu ya kugawa mgao sasa",
        "body": "Kiongozi wa {{ group }} anapendekeza kugawa mgao sasa, kabla ya mwisho wa kipindi: kila mwanachama "
        "anarudishiwa akiba yake na sehemu ya faida kwa miezi ya hisa zake. {{ reason }} Piga kura ya ndiyo au "
        "hapana kabla ya {{ closes_at }}.",
        "sms": "Pamoja: {{ group }} inakuomba upige kura juu ya kugawa mgao sasa. Piga kura kwenye programu kabla ya "
        "{{ closes_at }}.",
    },
    "share_out_passed": {
        "title": "{{ group }}: kugawa mgao sasa kumepitishwa",
        "body": "Wanachama wa {{ group }} wamepiga kura kugawa mgao sasa (ndiyo {{ yes }}, hapana {{ no }}). "
        "Kiongozi atagawa sasa.",
    },
    "share_out_failed": {
        "title": "{{ group }}: kugawa mgao sasa hakukupitishwa",
        "body": "Kura ya {{ group }} juu ya kugawa mgao sasa haikupita (ndiyo {{ yes }}, hapana {{ no }}, au kura "
        "hazikutosha). Mgao utagawiwa mwisho wa kipindi kama ilivyopangwa.",
    },
    "rules_proposed": {
        "title": "{{ group }}: piga kura juu ya kubadilisha kanuni",
        "body": "Kiongozi wa {{ group }} anapendekeza kubadilisha kanuni za kikundi. {{ reason }} Soma kanuni mpya "
        "kwenye programu na upige kura ya ndiyo au hapana kabla ya {{ closes_at }}.",
        "sms": "Pamoja: {{ group }} inakuomba upige kura juu ya kubadilisha kanuni zake. Piga kura kwenye programu "
        "kabla ya {{ closes_at }}.",
    },
    "rules_passed": {
        "title": "{{ group }}: mabadiliko ya kanuni yamepitishwa",
        "body": "Wanachama wa {{ group }} wamepiga kura kukubali kanuni mpya (ndiyo {{ yes }}, hapana {{ no }}). "
        "Zitaanza kutumika kiongozi mwingine asiyezipendekeza atakapozithibitisha.",
    },
    "rules_failed": {
        "title": "{{ group }}: mabadiliko ya kanuni hayakupitishwa",
        "body": "Kura ya {{ group }} juu ya kanuni mpya haikupita (ndiyo {{ yes }}, hapana {{ no }}, au kura "
        "hazikutosha). Kanuni zinabaki kama zilivyo.",
    },
    "share_out_paid": {
        "title": "{{ group }}: mgao wako wa {{ amount }} umeingia kwenye pochi yako",
        "body": "{{ group }} imegawa mgao (mgao wa {{ number }}): akiba yako ya {{ savings }} na {{ earnings }} ya "
        "faida ya kikundi, jumla {{ amount }} baada ya ada, vimeingia kwenye pochi yako. Taarifa inaonyesha jinsi "
        "ilivyohesabiwa.",
        "sms": "Pamoja: {{ group }} imegawa mgao. {{ amount }} (akiba {{ savings }}, faida {{ earnings }}) imeingia "
        "kwenye pochi yako.",
    },
    "plan_lapsed": {
        "title": "{{ group }}: mpango wa {{ plan }} haukuweza kulipiwa",
        "body": "Hatukuweza kutoza {{ amount }} kwa mpango wa {{ plan }} wa {{ group }}, kwa hiyo kikundi kiko kwenye "
        "vikomo vya mpango wa Bure hadi utakapolipiwa. Hakuna kinachopotea: ongeza salio na tutajaribu tena kesho.",
        "sms": "Pamoja: mpango wa {{ plan }} wa {{ group }} ({{ amount }}) haukuweza kulipiwa. Vikomo vya Bure "
        "vinatumika hadi ulipiwe.",
    },
    "loan_applied": {
        "title": "{{ group }}: ombi la mkopo",
        "body": "{{ borrower }} ameomba mkopo wa {{ amount }}. Viongozi wataamua baada ya wadhamini kujibu.",
    },
    "guarantee_requested": {
        "title": "{{ group }}: utadhamini {{ amount }}?",
        "body": "{{ borrower }} anakuomba udhamini {{ amount }} ya mkopo kutoka {{ group }} kwa ajili ya: "
        "{{ purpose }}. Asipolipa, akiba yako inaweza kutumika kulipia.",
        "sms": "Pamoja: {{ borrower }} anakuomba udhamini {{ amount }} ya mkopo wa {{ group }}. Fungua programu ujibu.",
    },
    "loan_approved": {
        "title": "{{ group }}: mkopo wako umeidhinishwa",
        "body": "Mkopo wako wa {{ amount }} kutoka {{ group }} umeidhinishwa. Utaingizwa kwenye pochi yako.",
        "sms": "Pamoja: mkopo wako wa {{ amount }} kutoka {{ group }} umeidhinishwa.",
    },
    "loan_rejected": {
        "title": "{{ group }}: mkopo wako haukuidhinishwa",
        "body": "Ombi lako la mkopo wa {{ amount }} kwa {{ group }} halikuidhinishwa. {{ reason }}",
        "sms": "Pamoja: ombi lako la mkopo wa {{ amount }} kwa {{ group }} halikuidhinishwa.",
    },
    "loan_disbursed": {
        "title": "{{ group }}: mkopo wako umeingia kwenye pochi yako",
        "body": "Mkopo wako wa {{ amount }} kutoka {{ group }} umeingia kwenye pochi yako. Ratiba yako ya marejesho "
        "iko kwenye programu.",
        "sms": "Pamoja: mkopo wako wa {{ amount }} kutoka {{ group }} umeingia kwenye pochi yako.",
    },
    "loan_instalment_due": {
        "title": "{{ group }}: marejesho ya mkopo ya {{ amount }} kufikia {{ due_date }}",
        "body": "Marejesho yako ya mkopo ya {{ amount }} kwa {{ group }} yanapaswa kulipwa kufikia tarehe "
        "{{ due_date }}.",
        "sms": "Pamoja: marejesho yako ya mkopo ya {{ amount }} kwa {{ group }} yanapaswa kulipwa kufikia tarehe "
        "{{ due_date }}.",
    },
    "loan_overdue": {
        "title": "{{ group }}: marejesho ya mkopo yamechelewa",
        "body": "Marejesho yako ya mkopo ya {{ amount }} kwa {{ group }} yalipaswa kulipwa tarehe {{ due_date }} na "
        "bado hayajalipwa. Huenda ukatozwa ada za kuchelewa, na wadhamini wako wakatakiwa kulipa.",
        "sms": "Pamoja: marejesho yako ya mkopo ya {{ amount }} kwa {{ group }} yaliyopaswa kulipwa tarehe "
        "{{ due_date }} YAMECHELEWA.",
    },
    "deposit_credited": {
        "title": "{{ amount }} imeingia kwenye pochi yako",
        "body": "Amana yako ya {{ amount }} kupitia {{ method }} imeingia kwenye pochi yako.",
        "sms": "Pamoja: amana yako ya {{ amount }} kupitia {{ method }} imeingia kwenye pochi yako.",
    },
    "withdrawal_sent": {
        "title": "{{ amount }} imetumwa",
        "body": "Umetoa {{ amount }}. Pesa zimetumwa kwa {{ destination }}.",
        "sms": "Pamoja: umetoa {{ amount }}. Pesa zimetumwa kwa {{ destination }}.",
    },
    "withdrawal_failed": {
        "title": "Utoaji wako wa {{ amount }} haukufanikiwa",
        "body": "Utoaji wako wa {{ amount }} haukufanikiwa: {{ reason }} Pesa zimerudishwa kwenye pochi yako.",
        "sms": "Pamoja: utoaji wako wa {{ amount }} haukufanikiwa. Pesa zimerudishwa kwenye pochi yako.",
    },
    "withdrawal_reversed": {
        "title": "{{ amount }} ulizotoa zimerudishwa",
        "body": "Mtoa huduma amerudisha {{ amount }} ulizotoa. Pesa zimerudishwa kwenye pochi yako.",
        "sms": "Pamoja: {{ amount }} ulizotoa zimerudishwa kwenye pochi yako.",
    },
    "transfer_received": {
        "title": "Umepokea {{ amount }}",
        "body": "{{ sender }} amekutumia {{ amount }}. Pesa ziko kwenye pochi yako.",
        "sms": "Pamoja: umepokea {{ amount }} kutoka kwa {{ sender }}.",
    },
    "bill_delivered": {
        "title": "{{ service }}: {{ amount }} imelipwa",
        "body": "Malipo yako ya {{ service }} ya {{ amount }} kwa {{ customer }} yamekamilika."
        "{% if token %} Tokeni: {{ token }}{% if units %} ({{ units }}){% endif %}.{% endif %}",
        "sms": "Pamoja: {{ service }} {{ amount }} kwa {{ customer }} imelipwa.{% if token %} Tokeni: {{ token }}"
        "{% endif %}",
    },
    "bill_refunded": {
        "title": "{{ service }}: {{ amount }} imerudishwa",
        "body": "Malipo yako ya {{ service }} ya {{ amount }} kwa {{ customer }} hayakufanikiwa. Pesa zimerudishwa "
        "kwenye pochi yako.",
        "sms": "Pamoja: malipo ya {{ service }} ya {{ amount }} hayakufanikiwa; pesa zimerudishwa kwenye pochi yako.",
    },
    "bill_token": {
        "title": "Tokeni yako ya {{ service }}",
        "body": "Tokeni ya {{ customer }}: {{ token }}{% if units %} ({{ units }}){% endif %}.",
        "sms": "Pamoja: tokeni ya {{ service }} kwa {{ customer }}: {{ token }}",
    },
    "loyalty_reward_issued": {
        "title": "{{ merchant }}: zawadi kwa ajili yako",
        "body": "{{ merchant }}: umepata zawadi ya {{ reward }}.{% if code %} Msimbo wako: {{ code }}{% endif %}",
        "sms": "{{ merchant }}: umepata zawadi ya {{ reward }}.{% if code %} Msimbo: {{ code }}{% endif %}",
    },
    "loyalty_reward_expiring": {
        "title": "{{ merchant }}: muda wa zawadi yako unakaribia kwisha",
        "body": "{{ merchant }}: muda wa zawadi yako ({{ reward }}) utaisha tarehe {{ expires_date }}. Itumie kabla "
        "ya hapo.",
        "sms": "{{ merchant }}: muda wa zawadi yako ({{ reward }}) utaisha tarehe {{ expires_date }}.",
    },
    "loyalty_budget_low": {
        "title": "{{ tenant }}: bajeti ya {{ budget }} inakaribia kuisha",
        "body": "Zawadi za kipindi hiki zimetumia {{ used }} ya bajeti ya {{ budget }} (tahadhari ni {{ threshold }}, "
        "kikomo ni {{ cap }}). Ongeza bajeti au simamisha kanuni kabla haijaisha.",
    },
    "loyalty_reward_low_stock": {
        "title": "{{ tenant }}: {{ reward }} inakaribia kuisha",
        "body": "Zimebaki {{ left }} za {{ reward }} (tahadhari ni {{ threshold }}). Ongeza misimbo au bidhaa kabla "
        "hazijaisha.",
    },
    "kyc_approved": {
        "title": "Kitambulisho chako kimethibitishwa",
        "body": "Uthibitisho wa kitambulisho chako umeidhinishwa; akaunti yako sasa iko daraja la {{ tier }}, lenye "
        "vikomo vya juu zaidi.",
        "sms": "Pamoja: kitambulisho chako kimethibitishwa. Vikomo vyako vya miamala sasa viko juu zaidi.",
    },
    "kyc_rejected": {
        "title": "Kitambulisho chako hakikuthibitishwa",
        "body": "Hatukuweza kuthibitisha kitambulisho chako: {{ reason }} Unaweza kujaribu tena kupitia wasifu wako.",
        "sms": "Pamoja: hatukuweza kuthibitisha kitambulisho chako. Fungua programu ujaribu tena.",
    },
    "new_sign_in": {
        "title": "Mtu ameingia kwenye akaunti yako",
        "body": "Mtu ameingia kwenye akaunti yako ya Pamoja tarehe {{ signed_in_at }} akitumia {{ device }} "
        "({{ ip }}). Kama si wewe, badilisha nenosiri lako sasa na ujiondoe kwenye vifaa vyote.",
        "sms": "Pamoja: mtu ameingia kwenye akaunti yako tarehe {{ signed_in_at }} akitumia {{ device }}. Si wewe? "
        "Badilisha nenosiri lako sasa.",
    },
    "password_changed": {
        "title": "Nenosiri lako limebadilishwa",
        "body": "Nenosiri lako la Pamoja limebadilishwa na vifaa vyote vimeondolewa kwenye akaunti. Kama si wewe, "
        "weka upya nenosiri lako sasa na uwasiliane na huduma kwa wateja.",
        "sms": "Pamoja: nenosiri lako limebadilishwa. Si wewe? Liweke upya sasa na uwasiliane na huduma kwa wateja.",
    },
    "pin_changed": {
        "title": "PIN yako ya muamala imebadilishwa",
        "body": "PIN yako ya muamala ya Pamoja imebadilishwa. Kama si wewe, wasiliana na huduma kwa wateja sasa.",
        "sms": "Pamoja: PIN yako ya muamala imebadilishwa. Si wewe? Wasiliana na huduma kwa wateja sasa.",
    },
    "two_factor_enabled": {
        "title": "Uthibitisho wa hatua mbili umewashwa",
        "body": "Uthibitisho wa hatua mbili umewashwa kwenye akaunti yako ya Pamoja. Hifadhi misimbo yako ya "
        "kurejesha akaunti mahali salama.",
        "sms": "Pamoja: uthibitisho wa hatua mbili umewashwa kwenye akaunti yako.",
    },
    "two_factor_disabled": {
        "title": "Uthibitisho wa hatua mbili umezimwa",
        "body": "Uthibitisho wa hatua mbili umezimwa kwenye akaunti yako ya Pamoja. Kama si wewe, badilisha nenosiri "
        "lako sasa na uwasiliane na huduma kwa wateja.",
        "sms": "Pamoja: uthibitisho wa hatua mbili UMEZIMWA. Si wewe? Wasiliana na huduma kwa wateja sasa.",
    },
    "email_verification": {
        "title": "Thibitisha barua pepe yako",
        "body": "Karibu Pamoja{% if first_name %}, {{ first_name }}{% endif %}. Thibitisha barua pepe yako ili "
        "uweze kufanya miamala: {{ link }}\nKiungo hiki kitafanya kazi kwa siku tatu.",
    },
    "email_change_verification": {
        "title": "Thibitisha barua pepe yako mpya",
        "body": "Thibitisha anwani yako mpya ya barua pepe: {{ link }}\nKiungo hiki kitafanya kazi kwa siku tatu.",
    },
    "password_reset": {
        "title": "Weka upya nenosiri lako",
        "body": "Weka upya nenosiri lako la Pamoja: {{ link }}\nKama hukuomba hili, puuza ujumbe huu.",
    },
    "sign_up_attempted": {
        "title": "Mtu amejaribu kujisajili kwa barua pepe yako",
        "body": "Mtu amejaribu kufungua akaunti ya Pamoja kwa anwani hii ya barua pepe. Kama ni wewe, ingia au weka "
        "upya nenosiri lako badala yake. Kama si wewe, unaweza kupuuza ujumbe huu: hakuna kilichobadilika.",
    },
    "sign_up_phone_taken": {
        "title": "Hatukuweza kufungua akaunti yako",
        "body": "Nambari hiyo ya simu tayari imesajiliwa kwenye akaunti ya Pamoja. Ingia kwenye akaunti hiyo, au "
        "jisajili kwa nambari nyingine.",
    },
    "reactivation_code": {
        "title": "Msimbo wako wa kufungua akaunti tena",
        "body": "Karibu tena. Ili uweze kufanya miamala tena, weka msimbo huu kwenye programu: {{ code }}\nMsimbo "
        "huu utafanya kazi kwa dakika 30.",
    },
}

# The words around every email, and how dates are written.
EMAIL = {
    "greeting": "Habari",
    "open": "Fungua kwenye Pamoja",
    "footer": "Unapokea ujumbe huu kwa sababu unatumia Pamoja. Chagua unachotaka tukutumie kwenye Mipangilio, Arifa.",
}
MONTHS = ("Jan", "Feb", "Mac", "Apr", "Mei", "Jun", "Jul", "Ago", "Sep", "Okt", "Nov", "Des")
