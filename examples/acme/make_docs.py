"""Generate the binary and non-UTF-8 example documents in ``docs/``.

    python examples/acme/make_docs.py

Writes the product manual (PDF, with bookmarks, via reportlab), the onboarding
guide (DOCX, via python-docx), the Tokyo office rules (Shift_JIS) and the
supplier code of conduct (cp1252). The outputs are committed; rerun this after
editing the text below. reportlab is a dev extra.
"""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent / "docs"

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


def make_manual(path: Path) -> None:
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

    doc = Bookmarked(str(path), pagesize=A4, title="RoboVac X200 User Manual", author="Acme Corp")
    story: list[object] = []
    for number, (heading, paragraphs) in enumerate(MANUAL):
        if number > 1:
            story.append(PageBreak())
        story.append(Paragraph(heading, styles["Title" if number == 0 else "Heading1"]))
        for text in paragraphs:
            story.append(Paragraph(text, styles["BodyText"]))
            story.append(Spacer(1, 6))
    doc.build(story)


def make_onboarding(path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Acme Onboarding Guide"
    document.add_paragraph("Acme Onboarding Guide", style="Title")
    for heading, paragraphs in ONBOARDING:
        document.add_heading(heading, level=1)
        for text in paragraphs:
            document.add_paragraph(text)
    document.add_heading("Who to ask", level=1)
    table = document.add_table(rows=0, cols=2)
    for topic, contact in ONBOARDING_CONTACTS:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = topic, contact
    document.save(str(path))


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    make_manual(DOCS / "robovac_x200_manual.pdf")
    make_onboarding(DOCS / "onboarding_guide.docx")
    (DOCS / "tokyo_office_rules.txt").write_bytes(TOKYO.encode("shift_jis"))
    (DOCS / "supplier_code_of_conduct.txt").write_bytes(SUPPLIER_CODE.encode("cp1252"))
    print(f"wrote example documents to {DOCS}")


if __name__ == "__main__":
    main()
