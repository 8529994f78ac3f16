"""Pictures of the review letters as a family or a professional receives them: each PDF page as a PNG.

    .venv/bin/python scripts/letters_preview.py          # writes tests/artifacts/letters/*.png

Renders the demo review of tests/documents_fixture.py (Amy Archer's annual EHC plan review) with the default
templates: the invitation, a request for advice, the agenda, the checklist and the record form, through LibreOffice,
then each PDF page with pypdfium2. Look at them before changing the default wording.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pypdfium2  # noqa: E402

from senlib.access import local_viewer  # noqa: E402
from senlib.documents.pack import review_documents  # noqa: E402
from tests import documents_fixture as fx  # noqa: E402

OUT = ROOT / "tests" / "artifacts" / "letters"
DOCUMENTS = ["invitation", "advice_request", "agenda", "checklist", "record_form", "council_report"]


def main() -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="letters-") as tmp:
        con = fx.make_db(Path(tmp) / "letters.duckdb")
        try:
            files = review_documents(con, fx.SETTING, fx.AMY, as_of=fx.AS_OF, viewer=local_viewer(),
                                     documents=DOCUMENTS, formats=("pdf",))
        finally:
            con.close()
    for name, data in files.items():
        pdf = pypdfium2.PdfDocument(data)
        stem = name.removesuffix(".pdf").split(" - ", 1)[1].replace(" ", "-").replace("(", "").replace(")", "").lower()
        for i in range(len(pdf)):
            image = pdf[i].render(scale=1.4).to_pil()
            path = OUT / f"{stem}-page{i + 1}.png"
            image.save(path)
            written.append(path)
        pdf.close()
    return written


if __name__ == "__main__":
    for p in main():
        print(p.relative_to(ROOT))
