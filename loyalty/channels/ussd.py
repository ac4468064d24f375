"""The USSD channel (Africa's Talking): one dial is a conversation of short screens, each answered in one request.

The gateway sends the dial's whole input so far (`1*2*3`) every time, so `UssdSession.inputs_seen` says how many of
those inputs were already acted on; only the new ones are, in order, each moving a small state machine (the screens
below). `stack` holds the screens behind the current one for the back key (`0`); `00` goes home. A choice that is
not on the screen shows the same screen again under "Invalid choice.", changing nothing. The session row is locked
while a request is processed, so two deliveries of one step never both act on it; a delivery seen before (no new
input) gets the answer it got then.

Every answer starts `CON ` (more to come) or `END ` (the gateway closes the dial) and fits 182 characters, prefix
included, in plain ASCII (so the network's 7-bit alphabet carries it whole). The effects (enrolling, the language,
a reward's code) are `loyalty.services.self_service`'s, shared with the WhatsApp channel."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from loyalty.errors import CustomerExistsError, LoyaltyObjectNotFoundError
from loyalty.models import Channel, ConsentChannel, Customer, Issuance, Tenant, UssdSession
from loyalty.services import self_service
from loyalty.tenancy import all_tenants, tenant_context

LIMIT = 182  # characters a USSD screen holds, "CON "/"END " included
CONTINUE, FINISH = "CON", "END"
BACK, HOME = "0", "00"
MAX_INPUTS_PER_STEP = 20  # the gateway sends one new input per request; more means a replayed or forged history
NAME_WIDTH = 40  # a merchant's name in a screen's first line

HOME_SCREEN = "home"
BALANCE = "balance"
REWARDS = "rewards"
REDEEM_PICK = "redeem_pick"
REDEEM_CODE = "redeem_code"
ENROL_CONSENT = "enrol_consent"
LANGUAGE = "language"

LANGUAGES = ("en", "sn", "sw")  # in the order the language screen lists them
LANGUAGE_NAMES = {"en": "English", "sn": "ChiShona", "sw": "Kiswahili"}

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "not_available": "This service is not available.",
        "timed_out": "Session timed out. Dial again.",
        "ended": "This session has ended. Dial again.",
        "invalid": "Invalid choice.",
        "balance": "Balance",
        "my_rewards": "My rewards",
        "redeem": "Redeem",
        "language": "Language",
        "join": "Join",
        "points": "Points: {points}",
        "tier": "Tier: {tier}",
        "open_rewards": "Rewards to use: {count}",
        "not_member": "You are not a member yet.",
        "join_now": "Join now",
        "nav": "0 Back 00 Home",
        "rewards_head": "Your rewards:",
        "no_rewards": "You have no rewards yet.",
        "until": "to {date}",
        "pick_head": "Pick a reward:",
        "show_code": "Show this code at the till:",
        "valid_to": "Valid to {date}",
        "gone": "That reward is no longer available.",
        "consent_head": "Join {merchant} rewards.",
        "consent_ask": "Get offers by SMS?",
        "yes": "Yes",
        "no": "No",
        "joined": "Welcome! You have joined.",
        "language_head": "Choose a language:",
        "language_saved": "Language saved.",
    },
    "sn": {
        "not_available": "Sevhisi iyi haiwanikwi.",
        "timed_out": "Nguva yapera. Daidzai zvakare.",
        "ended": "Chikamu ichi chapera. Daidzai zvakare.",
        "invalid": "Sarudzo isiriyo.",
        "balance": "Mapoinzi angu",
        "my_rewards": "Mibayiro yangu",
        "redeem": "Shandisa mubayiro",
        "language": "Mutauro",
        "join": "Nyoresai",
        "points": "Mapoinzi: {points}",
        "tier": "Danho: {tier}",
        "open_rewards": "Mibayiro: {count}",
        "not_member": "Hamusati manyoresa.",
        "join_now": "Nyoresai zvino",
        "nav": "0 Dzokera 00 Kutanga",
        "rewards_head": "Mibayiro yenyu:",
        "no_rewards": "Hamuna mubayiro parizvino.",
        "until": "kusvika {date}",
        "pick_head": "Sarudzai mubayiro:",
        "show_code": "Ratidzai kodhi iyi pakubhadhara:",
        "valid_to": "Inoshanda kusvika {date}",
        "gone": "Mubayiro iwoyo hauchawanikwi.",
        "consent_head": "Pindai muchirongwa che{merchant}.",
        "consent_ask": "Munoda kutumirwa zvipo neSMS?",
        "yes": "Hongu",
        "no": "Kwete",
        "joined": "Mauya! Manyoresa.",
        "language_head": "Sarudzai mutauro:",
        "language_saved": "Mutauro wachinjwa.",
    },
    "sw": {
        "not_available": "Huduma hii haipatikani.",
        "timed_out": "Muda umekwisha. Piga tena.",
        "ended": "Kipindi hiki kimeisha. Piga tena.",
        "invalid": "Chaguo si sahihi.",
        "balance": "Salio",
        "my_rewards": "Zawadi zangu",
        "redeem": "Tumia zawadi",
        "language": "Lugha",
        "join": "Jiunge",
        "points": "Pointi: {points}",
        "tier": "Daraja: {tier}",
        "open_rewards": "Zawadi za kutumia: {count}",
        "not_member": "Bado hujajiunga.",
        "join_now": "Jiunge sasa",
        "nav": "0 Rudi 00 Mwanzo",
        "rewards_head": "Zawadi zako:",
        "no_rewards": "Huna zawadi bado.",
        "until": "hadi {date}",
        "pick_head": "Chagua zawadi:",
        "show_code": "Onyesha nambari hii kwa keshia:",
        "valid_to": "Inatumika hadi {date}",
        "gone": "Zawadi hiyo haipatikani tena.",
        "consent_head": "Jiunge na zawadi za {merchant}.",
        "consent_ask": "Upokee ofa kwa SMS?",
        "yes": "Ndiyo",
        "no": "Hapana",
        "joined": "Karibu! Umejiunga.",
        "language_head": "Chagua lugha:",
        "language_saved": "Lugha imehifadhiwa.",
    },
}

_CHOICE = re.compile(r"[0-9]{1,2}")


def text_of(language: str, key: str, **values: object) -> str:
    words = TEXT.get(language, TEXT["en"])[key]
    return words.format(**values) if values else words


def fit(kind: str, head: list[str], items: list[str] | None = None, foot: list[str] | None = None) -> str:
    """One screen: `kind` ("CON"/"END"), then its lines, within `LIMIT` characters. The items (options, rewards)
    give up room first: each is cut to an equal share of what the head and foot leave, and when a share would be
    too narrow to read, the last items go. Whatever is still over (a huge head) is cut at the limit."""
    items, foot = list(items or []), list(foot or [])

    def joined(lines: list[str]) -> str:
        return f"{kind} " + "\n".join(line for line in lines if line)

    answer = joined([*head, *items, *foot])
    if len(answer) > LIMIT and items:
        room = LIMIT - len(joined([*head, *foot]))
        while items:
            width = room // len(items) - 1  # each item's newline
            if width >= 12 or len(items) == 1:
                items = [_cut(item, max(width, 0)) for item in items]
                break
            items.pop()
        answer = joined([*head, *items, *foot])
    return answer if len(answer) <= LIMIT else _cut(answer, LIMIT)


def _cut(line: str, width: int) -> str:
    if len(line) <= width:
        return line
    return line[: max(width - 3, 0)].rstrip() + "..." if width >= 4 else line[:width]


def _short_date(moment: datetime, tenant: Tenant) -> str:
    try:
        zone = ZoneInfo(tenant.time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.localtime(moment, zone).strftime("%d/%m/%Y")


def tenant_for_service_code(service_code: str) -> Tenant | None:
    """The tenant a dialled code reaches. A dial names only the code, so it is looked up across tenants, narrowly;
    everything after runs in that tenant's context."""
    with all_tenants():
        return Tenant.objects.filter(ussd_service_code=service_code).first()


@dataclass
class _Dial:
    """A session while one request is processed: the row (locked), the customer, and a line to show above the
    next screen."""

    tenant: Tenant
    session: UssdSession
    customer: Customer | None
    notice: str = ""
    issuance: Issuance | None = None

    @property
    def language(self) -> str:
        return self.session.language if self.session.language in TEXT else "en"

    def say(self, key: str, **values: object) -> str:
        return text_of(self.language, key, **values)

    def go(self, screen: str) -> None:
        self.session.stack = [*self.session.stack, self.session.screen]
        self.session.screen = screen

    def back(self) -> None:
        stack = list(self.session.stack)
        self.session.screen = stack.pop() if stack else HOME_SCREEN
        self.session.stack = stack

    def home(self, notice: str = "") -> None:
        self.session.screen, self.session.stack = HOME_SCREEN, []
        self.notice = notice

    @property
    def merchant(self) -> str:
        return _cut(self.tenant.display_name or self.tenant.name, NAME_WIDTH)


def answer_step(*, session_id: str, service_code: str, phone: str, text: str) -> str:
    """The gateway's request for one step of a dial, answered as the gateway shows it (`CON …` or `END …`).
    `phone` is in E.164."""
    tenant = tenant_for_service_code(service_code)
    if tenant is None:
        return fit(FINISH, [text_of("en", "not_available")])
    inputs = text.split("*") if text else []
    with tenant_context(tenant.pk):
        session = _locked_session(tenant=tenant, session_id=session_id, phone=phone)
        if session.phone != phone:  # a session id is the gateway's, for one phone: not this caller's session
            return fit(FINISH, [text_of("en", "not_available")])
        dial = _Dial(tenant=tenant, session=session, customer=session.customer)
        last = session.context.get("last")
        seen_before = len(inputs) <= session.inputs_seen and isinstance(last, str)
        if session.ended_at is not None:
            return last if seen_before and isinstance(last, str) else fit(FINISH, [dial.say("ended")])
        if timezone.now() - session.updated_at > timedelta(seconds=settings.USSD_SESSION_TIMEOUT):
            answer = fit(FINISH, [dial.say("timed_out")])
            _save(dial, answer=answer, inputs_seen=max(len(inputs), session.inputs_seen), ended=True)
            return answer
        if seen_before and isinstance(last, str):
            return last  # the gateway asking again for a step it was answered (or one from before it)
        ended = False
        for choice in inputs[session.inputs_seen :][:MAX_INPUTS_PER_STEP]:
            ended = _choose(dial, choice.strip())
            if ended:
                break
        answer = _render(dial)
        _save(dial, answer=answer, inputs_seen=max(len(inputs), session.inputs_seen), ended=ended)
        return answer


def _locked_session(*, tenant: Tenant, session_id: str, phone: str) -> UssdSession:
    """The dial's session row, locked until the request's transaction ends; made on the dial's first request. Two
    first requests at once: the second waits on the unique key, then takes the first's row."""
    sessions = UssdSession.objects.select_for_update(of=("self",)).select_related("customer")
    session = sessions.filter(tenant=tenant, session_id=session_id).first()
    if session is not None:
        return session
    customer = self_service.find_customer(tenant=tenant, phone=phone)
    language = customer.language if customer is not None and customer.language in TEXT else "en"
    try:
        with transaction.atomic():  # a row this transaction inserted is seen by no other until it commits
            return UssdSession.objects.create(
                tenant=tenant, session_id=session_id, phone=phone, customer=customer, language=language
            )
    except IntegrityError:
        return sessions.get(tenant=tenant, session_id=session_id)


def _save(dial: _Dial, *, answer: str, inputs_seen: int, ended: bool) -> None:
    session = dial.session
    session.customer = dial.customer
    session.context = {**session.context, "last": answer}
    session.inputs_seen = inputs_seen
    fields = ["customer", "language", "screen", "stack", "context", "inputs_seen", "updated_at"]
    if ended:
        session.ended_at = timezone.now()
        fields.append("ended_at")
    session.save(update_fields=fields)


# --- the state machine: what a choice does on each screen ---------------------------------------------------------


def _home_options(dial: _Dial) -> list[tuple[str, str]]:
    """(label, screen) in the order they are numbered: members see their account, others are asked to join."""
    if dial.customer is None:
        return [("join", ENROL_CONSENT), ("balance", BALANCE), ("language", LANGUAGE)]
    return [("balance", BALANCE), ("my_rewards", REWARDS), ("redeem", REDEEM_PICK), ("language", LANGUAGE)]


def _choose(dial: _Dial, choice: str) -> bool:
    """Act on one input on the current screen; True when it ends the dial."""
    dial.notice = ""
    if choice == HOME:
        dial.home()
        return False
    if choice == BACK:
        dial.back()
        return False
    number = int(choice) if _CHOICE.fullmatch(choice) else 0
    screen = dial.session.screen
    if screen == HOME_SCREEN:
        options = _home_options(dial)
        if 1 <= number <= len(options):
            dial.go(options[number - 1][1])
            return False
    elif screen == BALANCE:
        if dial.customer is None and number == 1:
            dial.go(ENROL_CONSENT)
            return False
    elif screen == REDEEM_PICK:
        choices = dial.session.context.get("choices") or []
        if dial.customer is not None and 1 <= number <= len(choices):
            return _pick_reward(dial, dial.customer, choices[number - 1])
    elif screen == ENROL_CONSENT and number in (1, 2):
        _enrol(dial, marketing_consent=number == 1)
        return False
    elif screen == LANGUAGE and 1 <= number <= len(LANGUAGES):
        _set_language(dial, LANGUAGES[number - 1])
        return False
    dial.notice = dial.say("invalid")
    return False


def _pick_reward(dial: _Dial, customer: Customer, issuance_id: object) -> bool:
    try:
        dial.issuance = self_service.reward_code(
            tenant=dial.tenant, customer=customer, issuance_id=int(str(issuance_id))
        )
    except (LoyaltyObjectNotFoundError, ValueError):
        dial.notice = dial.say("gone")  # redeemed at the till, expired or cancelled since the list was shown
        return False
    dial.go(REDEEM_CODE)
    dial.session.context = {**dial.session.context, "issuance": dial.issuance.pk}
    return True


def _enrol(dial: _Dial, *, marketing_consent: bool) -> None:
    def enrol() -> Customer:
        customer, _ = self_service.enrol(
            tenant=dial.tenant,
            phone=dial.session.phone,
            channel=Channel.USSD,
            marketing_consent=marketing_consent,
            consent_channel=ConsentChannel.SMS,
        )
        return customer

    try:
        customer = enrol()
    except CustomerExistsError:  # enrolled on another channel a moment ago: the second try finds them
        customer = enrol()
    if customer.language != dial.language:
        self_service.set_language(customer=customer, language=dial.language)
    dial.customer = customer
    dial.home(notice=dial.say("joined"))


def _set_language(dial: _Dial, language: str) -> None:
    dial.session.language = language
    if dial.customer is not None and dial.customer.language != language:
        self_service.set_language(customer=dial.customer, language=language)
    dial.home(notice=dial.say("language_saved"))


# --- the screens ----------------------------------------------------------------------------------------------------


def _render(dial: _Dial) -> str:
    screen = dial.session.screen
    nav = [dial.say("nav")]
    notice = [dial.notice] if dial.notice else []
    if screen == BALANCE:
        if dial.customer is None:
            return fit(CONTINUE, [*notice, dial.merchant, dial.say("not_member")], [f"1 {dial.say('join_now')}"], nav)
        summary = self_service.summary(tenant=dial.tenant, customer=dial.customer)
        lines = [dial.say("points", points=summary.points)]
        if summary.tier:
            lines.append(_cut(dial.say("tier", tier=summary.tier), 60))
        lines.append(dial.say("open_rewards", count=summary.open_rewards))
        return fit(CONTINUE, [*notice, dial.merchant, *lines], [], nav)
    if screen in (REWARDS, REDEEM_PICK) and dial.customer is not None:
        rewards = self_service.open_rewards(tenant=dial.tenant, customer=dial.customer)
        if not rewards:
            return fit(CONTINUE, [*notice, dial.say("no_rewards")], [], nav)
        if screen == REWARDS:
            items = [f"{n}. {_reward_line(dial, issuance)}" for n, issuance in enumerate(rewards, 1)]
            return fit(CONTINUE, [*notice, dial.say("rewards_head")], items, nav)
        dial.session.context = {**dial.session.context, "choices": [issuance.pk for issuance in rewards]}
        items = [f"{n} {issuance.reward.name}" for n, issuance in enumerate(rewards, 1)]
        return fit(CONTINUE, [*notice, dial.say("pick_head")], items, nav)
    if screen == REDEEM_CODE:
        return _render_code(dial)
    if screen == ENROL_CONSENT:
        head = [*notice, dial.say("consent_head", merchant=dial.merchant), dial.say("consent_ask")]
        return fit(CONTINUE, head, [f"1 {dial.say('yes')}", f"2 {dial.say('no')}"], nav)
    if screen == LANGUAGE:
        items = [f"{n} {LANGUAGE_NAMES[code]}" for n, code in enumerate(LANGUAGES, 1)]
        return fit(CONTINUE, [*notice, dial.say("language_head")], items, nav)
    dial.session.screen, dial.session.stack = HOME_SCREEN, []  # home, or a screen this caller cannot be on
    items = [f"{n} {dial.say(label)}" for n, (label, _) in enumerate(_home_options(dial), 1)]
    return fit(CONTINUE, [*notice, dial.merchant], items)


def _reward_line(dial: _Dial, issuance: Issuance) -> str:
    if issuance.expires_at is None:
        return issuance.reward.name
    return f"{issuance.reward.name} ({dial.say('until', date=_short_date(issuance.expires_at, dial.tenant))})"


def _render_code(dial: _Dial) -> str:
    """The last screen of a redemption: the code to show at the till, which the till redeems."""
    issuance = dial.issuance
    if issuance is None:
        return fit(FINISH, [dial.say("ended")])
    lines = [dial.say("show_code"), issuance.code, _cut(issuance.reward.name, 60)]
    if issuance.expires_at is not None:
        lines.append(dial.say("valid_to", date=_short_date(issuance.expires_at, dial.tenant)))
    return fit(FINISH, lines)
