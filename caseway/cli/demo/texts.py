"""What demo customers write and what demo agents answer: realistic helpdesk requests.

Each template has a subject, an email-length body, an SMS-length version and a typical
agent answer. Placeholders ({order}, {invoice}, {amount}, {device}, {plan}, {day}, {city},
{app}) are filled by `fill()` with values from `draw_values()`, so the same seed always gives
the same texts. The benchmark reuses them for realistic sizes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    category: str  # "billing", "technical", "shipping", "account" or "general"
    subject: str
    body: str
    short: str
    reply: str


TEMPLATES: tuple[Template, ...] = (
    Template(
        "account",
        "Password reset email never arrives",
        "I asked for a password reset three times this morning but nothing shows up in my "
        "inbox, and nothing in spam either. I need to get into my account today to download "
        "the report for our board meeting. Can you reset it for me or tell me what is wrong?",
        "Password reset email never came, tried 3 times. Can you help?",
        "I have sent a fresh reset link from our side; it is valid for one hour. If it still "
        "does not arrive, please check whether your mail server blocks our domain.",
    ),
    Template(
        "account",
        "Locked out after too many login attempts",
        "My account says it is locked after too many failed attempts. I was using the right "
        "password, I think the app on my phone kept retrying with an old one. How long does the "
        "lock last, and can you lift it?",
        "Account locked after failed logins, can you unlock it?",
        "The lock has been lifted. Please sign out of the mobile app and sign in again so it "
        "stops retrying the old password.",
    ),
    Template(
        "account",
        "Please change the email address on my account",
        "I have moved to a new job and will lose access to my old mailbox at the end of the "
        "month. Please change the login email on my account to my new address. I can confirm "
        "my identity with the last four digits of the card on file.",
        "Need to change my account email, old one closes soon.",
        "I have sent a confirmation link to the new address. Once you click it the change "
        "takes effect and the old address is removed.",
    ),
    Template(
        "account",
        "Two-factor codes no longer accepted",
        "Since I replaced my phone the authenticator codes are refused every time. I moved the "
        "app with the transfer tool, the codes look fine but the site says they are invalid.",
        "2FA codes rejected since new phone.",
        "The phone's clock was probably out of sync. I have disabled two-factor on the account "
        "for 24 hours so you can enrol the new phone from the security page.",
    ),
    Template(
        "account",
        "How do I add a colleague to our account?",
        "We have a new team member starting on {day} who needs access to our support history "
        "and invoices. I could not find where to invite someone. Is there a limit on users for "
        "our plan?",
        "How do I add a colleague to our account?",
        "Account admins can invite colleagues from Settings > Team. Your plan has no limit on "
        "the number of users.",
    ),
    Template(
        "account",
        "Delete my account and personal data",
        "Please close my account and delete all personal data you hold about me, as allowed "
        "under GDPR. Confirm in writing once it is done.",
        "Please delete my account and my data.",
        "We have started the deletion. It completes within 30 days and you will get a written "
        "confirmation at this address.",
    ),
    Template(
        "billing",
        "Invoice {invoice} shows the wrong amount",
        "Invoice {invoice} charges us {amount}, but our contract says the monthly fee is lower "
        "since we moved to the annual plan in March. Please send a corrected invoice; our "
        "accounts payable team will not pay the current one.",
        "Invoice {invoice} amount is wrong, we were charged {amount}.",
        "You are right, the annual discount was not applied. A corrected invoice is on its way "
        "and the original has been voided.",
    ),
    Template(
        "billing",
        "Charged twice for order {order}",
        "My card statement shows two charges of {amount} for order {order}, one minute apart. "
        "I only placed the order once. Please refund the duplicate.",
        "Charged twice for order {order}!",
        "The second charge was an authorisation hold that failed to release. I have released "
        "it; your bank will show it as gone within 3 to 5 working days.",
    ),
    Template(
        "billing",
        "Refund still not received",
        "You confirmed a refund of {amount} on {day} but nothing has reached my account yet. "
        "Can you send me the transaction reference so I can ask my bank?",
        "Where is my refund of {amount}?",
        "The refund was issued on our side; the bank reference is in the attached note. Card "
        "refunds take up to 10 working days to appear.",
    ),
    Template(
        "billing",
        "VAT number missing from invoices",
        "Our VAT number is not printed on the last three invoices, so we cannot reclaim the "
        "VAT. Please add it to the account and reissue invoices {invoice} onwards.",
        "Our VAT number is missing on invoices.",
        "The VAT number is now on the account and the invoices have been reissued with it.",
    ),
    Template(
        "billing",
        "Change payment method to bank transfer",
        "Our finance department wants to pay by bank transfer instead of credit card from next "
        "quarter. What do we need to do, and will the invoice due date change?",
        "Can we pay by bank transfer instead of card?",
        "I have switched the account to bank transfer with 30-day terms. The bank details are "
        "printed on each invoice.",
    ),
    Template(
        "billing",
        "Cancel subscription and prorated refund",
        "We are cancelling the {plan} subscription as we are merging with another company. We "
        "paid annually in advance; please confirm how the unused months will be refunded.",
        "Want to cancel {plan} and get a refund for unused months.",
        "The cancellation is booked for the end of this month and the prorated refund of the "
        "remaining months will follow on your next statement.",
    ),
    Template(
        "billing",
        "Card declined on renewal",
        "The renewal of our {plan} plan failed with card declined, but the card is valid and "
        "has funds. The account now shows a warning that service will be suspended.",
        "Renewal card declined but card is fine.",
        "The bank asked for 3-D Secure, which our renewal cannot complete. Please update the "
        "card once from the billing page; I have paused the suspension for 7 days.",
    ),
    Template(
        "billing",
        "Upgrade from {plan} mid-cycle",
        "We would like to upgrade from {plan} to the next tier now rather than at renewal. Will "
        "we be charged the full price or only for the remaining days?",
        "Upgrade mid-cycle, how is it charged?",
        "Upgrades are prorated: you pay only the difference for the remaining days of the "
        "current cycle. I have sent a quote.",
    ),
    Template(
        "technical",
        "{device} won't turn on",
        "My {device} will not turn on anymore. The power light stays off, I tried another "
        "socket and another cable. It worked fine yesterday evening. It is still under "
        "warranty, bought in {city}.",
        "My {device} won't turn on, light stays off.",
        "Please hold the reset button for 30 seconds while plugging it in. If the light stays "
        "off, we will send a replacement under warranty.",
    ),
    Template(
        "technical",
        "Wi-Fi keeps dropping every few minutes",
        "Since the last firmware update the {device} drops the Wi-Fi connection every few "
        "minutes. Wired devices are fine. We have 20 people working from this office and it "
        "is getting impossible to hold a video call.",
        "Wi-Fi drops every few minutes since update.",
        "The update changed the default channel width. Set the 5 GHz band to 80 MHz under "
        "Wireless > Advanced; a fixed firmware is due next week.",
    ),
    Template(
        "technical",
        "App crashes on startup after update",
        "After updating {app} this morning it crashes immediately when I open it. I have "
        "restarted the phone and reinstalled the app; same thing. Android 14, Pixel 7.",
        "{app} crashes on startup after update.",
        "This is a known problem with the latest release on Android 14. Version 5.2.1 with the "
        "fix is rolling out today.",
    ),
    Template(
        "technical",
        "Error 502 when exporting reports",
        "Every time I export the monthly report to CSV I get an error page saying 502 Bad "
        "Gateway after about a minute. Smaller date ranges work. We need the full year for our "
        "audit.",
        "Report export fails with 502.",
        "Exports over a year run in the background now: choose 'email me the export' and the "
        "file arrives within a few minutes.",
    ),
    Template(
        "technical",
        "Integration API returns 401 since this morning",
        "Our nightly sync with your API started failing with 401 Unauthorized at 03:00. We did "
        "not change the key. Has something changed on your side?",
        "API gives 401 since this morning.",
        "Keys created before 2021 were rotated for security; a new key is available under "
        "Settings > API. Sorry for the short notice.",
    ),
    Template(
        "technical",
        "Printer shows paper jam but no paper is stuck",
        "The {device} reports a paper jam in tray 2 but there is no paper anywhere. I opened "
        "every door and cleaned the rollers. It refuses to print anything.",
        "Printer says paper jam, nothing stuck.",
        "The tray sensor flap is probably stuck. Please follow the attached steps; if it "
        "persists a technician can visit.",
    ),
    Template(
        "technical",
        "Data sync between phone and laptop stopped",
        "My notes stopped syncing between the phone and the laptop on {day}. Both say they are "
        "up to date but the latest notes only exist on the phone.",
        "Sync between phone and laptop stopped.",
        "Sign out and back in on the laptop to refresh its sync token; nothing will be lost, "
        "the phone holds the latest copy.",
    ),
    Template(
        "technical",
        "Smart thermostat shows offline",
        "The {device} shows offline in the app although the house Wi-Fi works. The display "
        "on the device itself shows the right temperature. Heating schedule is not applied.",
        "Thermostat offline in the app.",
        "Your thermostat missed the certificate update. I have pushed it remotely; restart the "
        "thermostat and it will reconnect.",
    ),
    Template(
        "technical",
        "Battery drains within two hours",
        "My {device} battery now lasts two hours instead of a full day. It is eight months old. "
        "Is this covered by the warranty?",
        "Battery dies in 2 hours, 8 months old.",
        "A battery below 80 percent capacity within a year is covered. I have created a "
        "return label for a free battery replacement.",
    ),
    Template(
        "technical",
        "Cannot upload attachments larger than 5 MB",
        "Uploading a 7 MB PDF fails with 'upload error' and no further detail. Smaller files "
        "are fine. We often need to share larger drawings with our clients.",
        "Uploads over 5 MB fail.",
        "Your plan was limited to 5 MB by mistake; it is now raised to the standard 25 MB.",
    ),
    Template(
        "technical",
        "Website very slow in the afternoons",
        "Our shop pages take 10 seconds or more to load between 14:00 and 17:00. Customers are "
        "abandoning their carts. Mornings are fine.",
        "Site very slow every afternoon.",
        "A nightly backup job was scheduled in your afternoon time zone. It now runs at 03:00 "
        "local time; please tell us if the slowness continues.",
    ),
    Template(
        "shipping",
        "Order {order} delayed, no tracking updates",
        "Order {order} was supposed to arrive on {day} but the tracking page has not changed "
        "for five days. It is a birthday present so the date matters. Where is it?",
        "Order {order} late, tracking not updating.",
        "The parcel was held at the {city} depot after a scanner fault. It is back on its way "
        "and should reach you within two working days.",
    ),
    Template(
        "shipping",
        "Package arrived damaged",
        "The box for order {order} arrived crushed and the {device} inside has a cracked "
        "screen. Photos attached. I would like a replacement, not a refund.",
        "Order {order} arrived damaged, screen cracked.",
        "I am sorry about that. A replacement ships today with express delivery; the courier "
        "will collect the damaged one at the same time.",
    ),
    Template(
        "shipping",
        "Wrong item delivered",
        "I ordered the black model but received the white one in order {order}. The packing "
        "slip says black. How do I swap it?",
        "Got the wrong colour for order {order}.",
        "The right item is on its way. Keep the packaging; the courier brings a return label "
        "for the wrong one.",
    ),
    Template(
        "shipping",
        "Change delivery address for order {order}",
        "I just placed order {order} and noticed it goes to my old address. Can you change it "
        "to my office address before it ships? I can give the address over the phone.",
        "Need to change delivery address for {order}.",
        "The order had not shipped yet, so I have updated the address. You will get a new "
        "confirmation email.",
    ),
    Template(
        "shipping",
        "Return label not working",
        "The return label you sent for order {order} is refused at the post office: they say "
        "the barcode is invalid.",
        "Return label for {order} refused at post office.",
        "That label was generated for the wrong carrier. A new one is attached; any post office "
        "will accept it.",
    ),
    Template(
        "shipping",
        "Missing item in my order",
        "Order {order} should contain three items but the box had only two; the charger is "
        "missing. The packing slip lists all three.",
        "Charger missing from order {order}.",
        "The charger was shipped separately from another warehouse; tracking is in the note. "
        "It should arrive tomorrow.",
    ),
    Template(
        "shipping",
        "Customs fees on delivery",
        "The courier asked me for customs fees when delivering order {order}. Your website said "
        "prices include all duties. I refused the parcel for now.",
        "Asked to pay customs for {order}, site said duties included.",
        "You should not pay anything. The parcel will be redelivered with duties prepaid; we "
        "have informed the courier.",
    ),
    Template(
        "general",
        "Opening hours during the holidays",
        "Will your support line and the {city} store be open between Christmas and New Year? "
        "We plan a large order and want to be sure someone is reachable.",
        "Are you open during the holidays?",
        "Support is open every day except 25 December and 1 January; the {city} store closes "
        "at 15:00 on 24 and 31 December.",
    ),
    Template(
        "general",
        "Request for a quote for 50 licences",
        "We would like a quote for 50 licences of {plan} for our new branch, with onboarding "
        "for the team. Is there a volume discount?",
        "Quote for 50 licences of {plan}?",
        "Volumes above 25 get 15 percent off. I have passed your request to our sales team, "
        "who will send a quote today.",
    ),
    Template(
        "general",
        "Complaint about a rude phone agent",
        "I called on {day} about my order and the agent was dismissive and hung up on me. I "
        "have been a customer for six years and expect better.",
        "Agent hung up on me, not acceptable.",
        "I am very sorry. I have reviewed the call with the team lead and added a voucher to "
        "your account as an apology.",
    ),
    Template(
        "general",
        "Feature request: dark mode",
        "Our team works night shifts and the bright interface is tiring. Is dark mode planned? "
        "Many of us would switch to the desktop app if it had one.",
        "Any plans for dark mode?",
        "Dark mode is planned for the spring release. I have added your vote to the request.",
    ),
    Template(
        "general",
        "Where can I find the user manual?",
        "I cannot find the manual for the {device} on your website. The quick start leaflet "
        "does not explain the scheduling features.",
        "Where is the manual for the {device}?",
        "The full manual is in the knowledge base under Products; I have linked it in this reply.",
    ),
    Template(
        "general",
        "Warranty extension for our fleet",
        "We have 120 units of the {device} in our warehouses. Can we extend the warranty for "
        "all of them to five years, and what would it cost?",
        "Can we extend warranty on 120 units?",
        "Yes: the five-year extension is available for fleets. Your account manager will call "
        "you with the pricing this week.",
    ),
    Template(
        "general",
        "Data processing agreement needed",
        "Our legal team needs a signed data processing agreement before we can roll out your "
        "service to the {city} office. Can you send one?",
        "We need a signed DPA.",
        "Our standard DPA is attached, signed on our side. Please return a countersigned copy.",
    ),
    Template(
        "general",
        "Appointment for installation",
        "We bought the {device} for our new office in {city}. Can a technician install it next "
        "week? Mornings suit us best.",
        "Can a technician install the {device} next week?",
        "A technician is booked for next Tuesday between 09:00 and 12:00; you will get a text "
        "the day before.",
    ),
)

FOLLOW_UPS: tuple[str, ...] = (
    "Any update on this? It has been a few days.",
    "Thanks, that worked. You can close this.",
    "I tried that but the problem is still there. What else can I do?",
    "Here are the details you asked for. Let me know if you need anything else.",
    "Just calling back about this case, the issue came back this morning.",
    "Thank you for the quick answer!",
    "Could someone call me about this? It is easier to explain by phone.",
    "I am still waiting for the replacement you promised.",
)

NOTES: tuple[str, ...] = (
    "Checked the logs: the customer's description matches what we see.",
    "Preferred customer, keep them updated daily.",
    "Asked engineering in the team chat; waiting for their answer.",
    "Duplicate of an earlier request from the same account; answering here.",
    "Called the customer, no answer. Will try again tomorrow.",
    "Refund approved by the team lead.",
)

# What agents log time for (cases.services.log_time); hours contracts are charged from it.
TIME_NOTES: tuple[str, ...] = (
    "Reproduced the problem on a test account.",
    "Call with the customer.",
    "Went through the logs and the configuration.",
    "Wrote up the workaround.",
    "",
)

DEVICES = ("Aurora X2 router", "Lumen 300 printer", "Nimbus thermostat", "Pulse 5 tablet")
PLANS = ("Starter", "Team", "Business", "Enterprise")
CITIES = ("Lyon", "Rotterdam", "Leeds", "Porto", "Gdansk", "Bologna")
DAYS = ("Monday", "Tuesday", "last Friday", "the 3rd", "the 14th")
APPS = ("Caseway Mobile", "the companion app", "the desktop app")


def draw_values(rng: random.Random) -> dict[str, str]:
    """Plausible values for the placeholders, drawn once per case so texts agree."""
    return {
        "order": f"NW-{rng.randint(10000, 99999)}",
        "invoice": f"INV-2025-{rng.randint(100, 9999):04d}",
        "amount": f"EUR {rng.randint(19, 2400)}.{rng.choice(('00', '50', '99'))}",
        "device": rng.choice(DEVICES),
        "plan": rng.choice(PLANS),
        "city": rng.choice(CITIES),
        "day": rng.choice(DAYS),
        "app": rng.choice(APPS),
    }


def fill(text: str, values: dict[str, str]) -> str:
    """Replace the placeholders in `text` with `values` (see draw_values)."""
    return text.format(**values)
