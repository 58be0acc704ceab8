"""Generate the binary and non-UTF-8 example documents in ``docs/``.

    python examples/acme/make_docs.py [--out DIR]

Writes the product manuals (PDF, with bookmarks, via reportlab), the onboarding
guides (DOCX, via python-docx), the Tokyo office rules (Shift_JIS), the Japan
customer visit guide (EUC-JP) and the supplier code of conduct (cp1252). The
Markdown, reStructuredText and HTML documents are written by hand and live only
in ``docs/``. The outputs are committed; rerun this after editing the text below
(``tests/examples/test_generators.py`` checks that they still match).
reportlab is a dev extra.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parent / "docs"

__all__ = ["DOCS", "GENERATED", "build"]

MANUAL = [
    ("RoboVac X200 User Manual", [
        "Thank you for choosing the Acme RoboVac X200 robot vacuum. Read this manual before first use "
        "and keep it for later reference.",
    ]),
    ("1. Getting started", [
        "Place the charging dock against a wall on a hard, level floor, with 0.5 metres of free space on "
        "each side and 1.5 metres in front. Plug in the dock and put the robot on it.",
        "Charge the battery fully before the first run; a full charge takes about 4 hours. The "
        "indicator ring turns solid white when charging is complete.",
        "Install the Acme Home app, create an account and press the Wi-Fi button on the robot for "
        "3 seconds to pair it. The robot supports 2.4 GHz Wi-Fi networks only.",
    ]),
    ("2. Cleaning and maintenance", [
        "Empty the dust bin after every run. Rinse the washable HEPA filter under cold water once a "
        "month and let it dry for 24 hours before putting it back.",
        "Replace the HEPA filter every 6 months and the side brushes every 3 months. Clean hair from "
        "the main brush once a week: lift the brush guard, pull the brush out and cut the hair with the "
        "cleaning tool stored under the bin.",
        "The battery lasts up to 120 minutes on the standard suction level and 70 minutes on max "
        "suction. A battery replacement is due after about 500 charge cycles.",
    ]),
    ("3. Error codes", [
        "E-101: Wheel stuck. Lift the robot, remove anything wrapped around the wheels and restart.",
        "E-104: Cliff sensor dirty. Wipe the four cliff sensors under the robot with a dry cloth.",
        "E-217: Main brush motor stalled. Remove the main brush, clear the hair or string around it "
        "and reinstall it until it clicks.",
        "E-330: Battery temperature too high. Move the robot to a room between 10 and 35 degrees "
        "Celsius and wait 30 minutes.",
        "E-412: Dock not found. Make sure the dock is powered and nothing blocks the front of it.",
    ]),
    ("4. Warranty and support", [
        "The RoboVac X200 has a warranty of 2 years from purchase, and 1 year for the battery. The "
        "warranty does not cover damage from liquids or from using non-Acme filters.",
        "To claim warranty service, contact support@acme.example with your serial number, which is "
        "printed under the dust bin and starts with RVX2.",
    ]),
]

ONBOARDING = [
    ("Welcome to Acme", [
        "Welcome! This guide walks you through your first two weeks. Your buddy is a colleague from "
        "another team who answers the questions you would rather not ask your manager.",
    ]),
    ("Your first day", [
        "Arrive at 09:30 at reception, where IT hands over your laptop and your badge. Bring a photo "
        "ID; your badge cannot be printed without it.",
        "At 11:00 you join the welcome session with People Operations, and at 12:30 your team takes "
        "you to lunch, paid by Acme.",
    ]),
    ("Your first week", [
        "Complete the mandatory security awareness training in the Learning Hub within your first "
        "5 working days. Access to production systems is granted only after the training.",
        "Set up the password manager and your hardware security key with IT.",
    ]),
    ("Your first month", [
        "Agree your probation goals with your manager by the end of week 4. The probation period "
        "lasts six months and ends with a review meeting.",
    ]),
]
ONBOARDING_CONTACTS = [("Topic", "Contact"), ("Laptop and accounts", "IT help desk, ext. 4357"),
                       ("Payroll", "payroll@acme.example"), ("Badge and building", "Facilities, ext. 2100")]

TOKYO = """東京オフィス勤務規則

この文書は Acme Corp 東京オフィスの社員に適用される補足規則です。

勤務時間
東京オフィスの標準勤務時間は午前9時30分から午後6時までです。フレックスタイム制度を利用する場合、コアタイムは午前11時から午後3時までです。

有給休暇
入社6か月後に10日の年次有給休暇が付与されます。その後は勤続年数に応じて増え、最大で年間20日となります。取得の2週間前までに人事ポータルで申請してください。

通勤手当
通勤手当は月額5万円を上限として、最も経済的な経路の定期券代を支給します。

防災
地震が発生した場合は、机の下に避難し、揺れが収まってから非常階段を使って避難してください。エレベーターは使用しないでください。避難場所は芝公園です。
"""

SUPPLIER_CODE = """Acme Supplier Code of Conduct

Acme expects every supplier to respect the principles below. Breaches may end the business relationship.

Working conditions
Suppliers must pay at least the local minimum wage, limit working weeks to 60 hours including overtime, and never use forced or child labour.

Environment
Suppliers must hold ISO 14001 certification or an equivalent, and report their CO\u2082 emissions every year. Packaging must be at least 80% recyclable.

Gifts
Acme employees may not accept gifts from suppliers worth more than 50 \u20ac. Invitations to events must be declared to the compliance team \u2014 compliance@acme.example \u2014 before they are accepted.
""".replace("CO\u2082", "CO2")  # cp1252 has no subscript two


TEMPSENSE_T1 = [
    ("TempSense T1 Installation and User Guide", [
        "The TempSense T1 is a wireless temperature sensor for cold stores, warehouses and "
        "server rooms. It reports to an EdgeHub gateway or a MeshLink M1 mesh node. List price: "
        "49 USD (SKU ACM-SEN-001).",
    ]),
    ("1. Specifications", [
        "Measurement range: -40 to +85 degrees Celsius. Accuracy: plus or minus 0.3 degrees "
        "Celsius between 0 and 50 degrees Celsius. Resolution: 0.1 degrees Celsius.",
        "Reporting interval: every 5 minutes by default, configurable from 30 seconds to 60 "
        "minutes in Acme Insight.",
        "Power: two AA lithium batteries, which last about 4 years at the default 5-minute "
        "interval. Enclosure: IP65, for indoor and sheltered outdoor use.",
        "Radio: Acme Mesh on 868 MHz (Europe) or 915 MHz (Americas, Japan and APAC), with a range "
        "of up to 300 metres in open air and about 40 metres indoors through walls.",
    ]),
    ("2. Installation", [
        "Mount the sensor at least 1.5 metres above the floor and away from doors, fans and "
        "evaporators. Use the wall bracket and the two screws supplied, or the adhesive pad on "
        "smooth surfaces.",
        "To pair the sensor, open the gateway's pairing mode in Acme Insight, then hold the "
        "sensor's button for 5 seconds until the LED blinks blue. Pairing takes up to 60 seconds.",
    ]),
    ("3. LED signals", [
        "One green blink every 60 seconds: normal operation.",
        "Three red blinks every 10 seconds: battery below 10 percent; replace both batteries "
        "within two weeks.",
        "Solid red: sensor fault. Remove the batteries for 30 seconds; if the LED stays red, open "
        "a support ticket with the serial number, which starts with TS1.",
    ]),
    ("4. Warranty", [
        "Acme sensors have a warranty of 3 years from delivery. Batteries are not covered. "
        "Calibration certificates are available through the Calibration service.",
    ]),
]

EDGEHUB_E1 = [
    ("EdgeHub E1 Gateway Administrator Guide", [
        "The EdgeHub E1 collects readings from Acme sensors and forwards them to Acme Insight or "
        "to your own MQTT broker. List price: 399 USD (SKU ACM-GAT-009). This guide covers "
        "firmware 4.2.1.",
    ]),
    ("1. Hardware", [
        "Interfaces: two Gigabit Ethernet ports, Wi-Fi 802.11ac, one USB-C service port and the "
        "Acme Mesh radio. Power: 12 V DC from the supplied adapter, or Power over Ethernet "
        "(IEEE 802.3af).",
        "Capacity: up to 250 sensors per gateway since firmware 4.2.0 (200 before). Operating "
        "temperature: -20 to +60 degrees Celsius. For outdoor sites, use the EdgeHub E2 Rugged.",
    ]),
    ("2. First start", [
        "Connect Ethernet port 1 to your network. The gateway asks for an address by DHCP; "
        "without DHCP it uses the fixed address 192.168.50.1.",
        "Open the web console at https://192.168.50.1 (or the DHCP address) and sign in as admin "
        "with the initial password printed on the label under the gateway. You must choose a new "
        "password of at least 12 characters at the first sign-in.",
    ]),
    ("3. Operation", [
        "When the uplink is down, the gateway stores readings for up to 72 hours and sends them "
        "when the connection returns (store-and-forward).",
        "Firmware updates are started from Fleet Manager or the web console and take about 6 "
        "minutes, during which the sensors keep measuring and the gateway buffers their readings.",
    ]),
    ("4. Factory reset", [
        "Hold the recessed reset button for 15 seconds, until all LEDs flash amber. The reset "
        "erases the configuration and all pairings; sensors must then be paired again.",
    ]),
    ("5. Warranty", [
        "Acme gateways have a warranty of 2 years from delivery. Open a support ticket for a "
        "replacement; under warranty, Acme ships the replacement before you return the faulty unit.",
    ]),
]

INSIGHT_GUIDE = [
    ("Acme Insight Administration Guide", [
        "Acme Insight is Acme's cloud platform for sensor data: dashboards, alerts, reports and an "
        "API. This guide is for the administrators of a customer organisation and covers "
        "Acme Insight 8.1.",
    ]),
    ("1. Editions", [
        "Acme Insight costs 1,200 USD per year and keeps measurement data for 13 months. Acme "
        "Insight Enterprise costs 4,800 USD per year, keeps data for 5 years and adds single "
        "sign-on and a 99.95% uptime commitment; the standard edition commits to 99.9%.",
        "The Alert Engine add-on (600 USD per year) raises the limit from 20 to 500 alert rules "
        "and adds SMS, Microsoft Teams and webhook notifications to email.",
    ]),
    ("2. Users and roles", [
        "There are three roles. A Viewer sees dashboards and reports. An Operator also "
        "acknowledges alerts and edits dashboards. An Administrator also manages users, devices, "
        "API keys and billing. Every organisation needs at least two Administrators.",
        "Single sign-on supports SAML 2.0 and OpenID Connect and is available in Acme Insight "
        "Enterprise only.",
    ]),
    ("3. API", [
        "Create API keys under Settings, API keys. API v2 allows 600 requests per minute per key, "
        "or 3,000 per minute for Enterprise. API v1 is switched off on 31 December 2025.",
        "Bulk exports of readings are available as CSV or Apache Parquet.",
    ]),
    ("4. Hosting regions", [
        "Customer data is stored in one region chosen when the organisation is created: "
        "Frankfurt, Virginia or Tokyo. Data never leaves its region, and backups stay in the "
        "same region.",
    ]),
]

VIBRACHECK_V3 = [
    ("VibraCheck V3 Vibration Sensor Manual", [
        "The VibraCheck V3 monitors the vibration of motors, pumps, fans and gearboxes to warn "
        "of bearing wear and misalignment before a machine fails. List price: 149 USD (SKU "
        "ACM-SEN-004).",
    ]),
    ("1. Specifications", [
        "Sensor: three-axis MEMS accelerometer, range plus or minus 16 g, sampling at up to 3.2 "
        "kHz, frequency range 2 Hz to 1 kHz. Enclosure: IP67 stainless steel.",
        "Battery: a replaceable 3.6 V lithium cell that lasts about 3 years with one measurement "
        "per hour.",
    ]),
    ("2. Mounting", [
        "Mount the sensor on a flat, clean spot as close to the bearing as possible. The stud "
        "mount (M6 thread) gives the best readings: tighten it to 8 Nm. The magnetic mount is "
        "quicker but limits useful readings to about 500 Hz.",
    ]),
    ("3. Alarm levels", [
        "VibraCheck classifies velocity readings into the four zones of ISO 10816-3. By default "
        "it raises a warning at 2.8 mm/s RMS (zone B to C) and an alarm at 4.5 mm/s RMS (zone C "
        "to D). Change the thresholds in Acme Insight per machine.",
    ]),
    ("4. Calibration", [
        "Have the sensor calibrated every 24 months. Order the Calibration service from Acme; "
        "the sensor is back within 10 working days with a certificate.",
    ]),
]

SALES_PLAYBOOK = [
    ("Your first 90 days in sales", [
        "This playbook is for new Sales Representatives and Account Managers at Acme Industrial. "
        "Read it together with the general onboarding guide.",
    ]),
    ("Ramp-up and quota", [
        "Your quota ramps up over your first quarter: no quota in month 1, half of your quota in "
        "months 2 and 3, and the full quota from month 4.",
        "Commission is 6% of the invoices paid by your customers, paid quarterly with the salary "
        "of the month after the quarter ends. Invoices of cancelled orders earn nothing.",
    ]),
    ("Tools", [
        "Every customer, contact, quote and discount approval is recorded in the CRM. Log every "
        "customer meeting in the CRM within 24 hours.",
        "Order a demo kit (five TempSense T1 sensors, one EdgeHub E1 and one AirQ A1) from the "
        "Rotterdam hub in your first week; delivery takes 5 working days.",
    ]),
    ("Discounts", [
        "You may give up to 5% off list price yourself. Up to 10% needs the Account Manager's "
        "approval in the CRM. Above 10% only the Head of Sales can approve, in writing.",
    ]),
    ("Certification", [
        "Pass the Acme Insight product certification in the Learning Hub by the end of week 6. "
        "The pass mark is 80%; you may retake it twice.",
    ]),
]
SALES_CONTACTS = [("Topic", "Contact"), ("Quotes and discounts", "Your Account Manager"),
                  ("Credit hold and invoices", "finance@acme.example"),
                  ("Demo kits", "Rotterdam hub, hub@acme.example"),
                  ("Technical pre-sales", "The Sales Engineer of your region")]

CUSTOMER_VISIT_JA = """顧客訪問ガイド（日本リージョン）

この文書は、日本リージョンの営業担当者とセールスエンジニアが顧客を訪問するときの社内ルールをまとめたものです。

訪問の準備
訪問の3営業日前までに、訪問目的と出席者を CRM に登録してください。初回訪問では会社案内と製品カタログ（日本語版）を持参します。

見積書
見積書の有効期限は発行日から30日です。価格は米ドルの定価を基準とし、円建ての見積書には経理部が毎月第1営業日に公表する為替レートを使います。値引きは定価の5%までは担当者の判断で可能で、10%まではアカウントマネージャーの承認が必要です。

手土産と接待
手土産は1社あたり5,000円までとし、費用は経費精算で申請します。顧客から接待の申し出があった場合は、行動規範に従い、1人あたり50ユーロ相当を超えるものはお断りしてください。

訪問後
訪問報告は24時間以内に CRM に入力してください。技術的な質問に即答できなかった場合は、2営業日以内にセールスエンジニアから回答します。

名刺
名刺は総務部に申請すると、5営業日で100枚が届きます。
"""


def make_pdf(path: Path, sections: list[tuple[str, list[str]]]) -> None:
    """A PDF whose first section is the title; later sections start on new pages, bookmarked."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()

    class Bookmarked(SimpleDocTemplate):
        def afterFlowable(self, flowable: object) -> None:
            if isinstance(flowable, Paragraph) and flowable.style.name in ("Title", "Heading1"):
                key = f"h{id(flowable)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(flowable.getPlainText(), key, level=0)

    title = sections[0][0]
    # invariant=1 leaves out the creation date and random file id, so reruns give the same bytes.
    doc = Bookmarked(str(path), pagesize=A4, title=title, author="Acme Corp", invariant=1)
    story: list[object] = []
    for number, (heading, paragraphs) in enumerate(sections):
        if number > 1:
            story.append(PageBreak())
        story.append(Paragraph(heading, styles["Title" if number == 0 else "Heading1"]))
        for text in paragraphs:
            story.append(Paragraph(text, styles["BodyText"]))
            story.append(Spacer(1, 6))
    doc.build(story)


def make_docx(path: Path, title: str, sections: list[tuple[str, list[str]]],
              contacts: list[tuple[str, str]]) -> None:
    """A DOCX guide: a title, one Heading 1 per section, and a two-column contacts table."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_paragraph(title, style="Title")
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for text in paragraphs:
            document.add_paragraph(text)
    document.add_heading("Who to ask", level=1)
    table = document.add_table(rows=0, cols=2)
    for topic, contact in contacts:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = topic, contact
    document.save(str(path))


GENERATED: dict[str, Callable[[Path], object]] = {
    "robovac_x200_manual.pdf": lambda p: make_pdf(p, MANUAL),
    "manuals/tempsense_t1_manual.pdf": lambda p: make_pdf(p, TEMPSENSE_T1),
    "manuals/edgehub_e1_admin_guide.pdf": lambda p: make_pdf(p, EDGEHUB_E1),
    "manuals/acme_insight_admin_guide.pdf": lambda p: make_pdf(p, INSIGHT_GUIDE),
    "manuals/vibracheck_v3_manual.pdf": lambda p: make_pdf(p, VIBRACHECK_V3),
    "onboarding_guide.docx": lambda p: make_docx(p, "Acme Onboarding Guide", ONBOARDING,
                                                 ONBOARDING_CONTACTS),
    "sales_onboarding_playbook.docx": lambda p: make_docx(p, "Acme Sales Onboarding Playbook",
                                                          SALES_PLAYBOOK, SALES_CONTACTS),
    "tokyo_office_rules.txt": lambda p: p.write_bytes(TOKYO.encode("shift_jis")),
    "japan/customer_visit_guide_ja.txt": lambda p: p.write_bytes(CUSTOMER_VISIT_JA.encode("euc_jp")),
    "supplier_code_of_conduct.txt": lambda p: p.write_bytes(SUPPLIER_CODE.encode("cp1252")),
}
"""Each generated document, by its path under ``docs/``, with the function that writes it."""


def build(out: Path = DOCS) -> list[Path]:
    """Write every generated document under ``out``; return their paths."""
    written = []
    for relative, write in GENERATED.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS)
    args = parser.parse_args()
    paths = build(args.out)
    print(f"wrote {len(paths)} example documents to {args.out}")


if __name__ == "__main__":
    main()
