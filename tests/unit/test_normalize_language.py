"""Language detection on invoice-style text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoice_capture.extraction.normalize import LANGUAGES, detect_language

SAMPLES = {
    "en": "INVOICE Invoice number 42183017 Date August 3, 2014. Please pay the amount due by the due date. "
          "Thank you for your business. Quantity Price Balance",
    "de": "Rechnung Nr. 2025-001 Rechnungsdatum 03.04.2025. Vielen Dank für Ihren Auftrag. Wir berechnen "
          "Ihnen: Menge Einzelpreis Gesamtbetrag zzgl. 19 % MwSt. Zahlbar innerhalb von 14 Tagen.",
    "fr": "FACTURE N° 2025-001 du 3 avril 2025. Désignation Quantité Prix unitaire Montant HT. TVA 20 % "
          "Total TTC. Règlement à réception de la facture, merci pour votre confiance.",
    "nl": "FACTUUR Factuurnummer 2025-001 Factuurdatum 3 april 2025. Omschrijving Aantal Prijs Bedrag. "
          "Totaal excl. BTW. Gelieve het bedrag te betalen voor de vervaldatum.",
    "es": "FACTURA Número de factura 2025-001 Fecha 3 de abril de 2025. Descripción Cantidad Precio Importe. "
          "Base imponible IVA 21 % Total. Forma de pago: transferencia. Gracias por su pedido.",
    "it": "FATTURA N. 2025/001 del 3 aprile 2025. Descrizione Quantità Prezzo Importo. Imponibile "
          "Aliquota IVA 22 % Totale. Pagamento: bonifico con scadenza 30 giorni. Partita IVA e codice fiscale.",
}


@pytest.mark.parametrize(("language", "text"), sorted(SAMPLES.items()))
def test_detects_full_invoices_confidently(language: str, text: str) -> None:
    detected, score = detect_language(text)
    assert detected == language
    assert score >= 0.7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rechnung", "de"),
        ("RECHNUNG", "de"),
        ("Rechnungsnummer", "de"),
        ("Gesamtbetrag", "de"),
        ("Betrag", "de"),
        ("facture", "fr"),
        ("Montant TTC", "fr"),
        ("Échéance", "fr"),
        ("factuur", "nl"),
        ("bedrag", "nl"),
        ("factura", "es"),
        ("importe", "es"),
        ("fattura", "it"),
        ("importo", "it"),
        ("Invoice", "en"),
        ("amount due", "en"),
    ],
)
def test_invoice_vocabulary_alone_decides(text: str, expected: str) -> None:
    detected, score = detect_language(text)
    assert detected == expected
    assert 0.0 < score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12.00 1.234,56 2025-04-03",
        "Total",  # shared by several languages
        "IVA 21 %",  # es and it
        "Datum",  # de and nl
        "Lorem ipsum dolor sit amet",
        "ACME GmbH",
    ],
)
def test_no_evidence_gives_none(text: str) -> None:
    assert detect_language(text) == (None, 0.0)


def test_score_grows_with_evidence_and_margin() -> None:
    _, one_word = detect_language("Rechnung")
    _, full = detect_language(SAMPLES["de"])
    _, mixed = detect_language("Rechnung Invoice amount Betrag")
    assert one_word < full
    assert mixed < one_word


def test_mixed_language_invoice_picks_dominant_language() -> None:
    text = SAMPLES["fr"] + " Invoice"
    assert detect_language(text)[0] == "fr"


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_never_crashes(text: str) -> None:
    language, score = detect_language(text)
    assert language is None or language in LANGUAGES
    assert 0.0 <= score <= 1.0
    assert (language is None) == (score == 0.0)
