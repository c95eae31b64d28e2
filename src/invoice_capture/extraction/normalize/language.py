"""Document language (en/de/fr/nl/es/it) from function words and invoice vocabulary.

Language decides how ambiguous dates and amounts are read and which labels to trust, so it must work on the
short, table-heavy text of an invoice where generic detectors struggle. Words shared by several languages
("de", "en", "total", "iva") are left out; invoice terms weigh more than stopwords because they are what an
invoice is certain to contain.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "nl", "es", "it")

_STOPWORDS: dict[str, str] = {
    "en": "the and of to for with is are this that please your our from by you we will be thank thanks "
          "due bill amount invoice payment paid balance quantity price terms number customer shipping tax "
          "hours remit",
    "de": "der die das und mit für fuer von bei ist nicht ein eine einer wir sie ihre ihr zur zum bitte "
          "rechnung betrag gesamtbetrag rechnungsbetrag mwst ust umsatzsteuer mehrwertsteuer "
          "menge einzelpreis gesamtpreis zahlbar tage kundennummer lieferdatum leistungsdatum summe gesamt "
          "zahlung bankverbindung steuernummer anzahl leistung datum vielen dank seite zwischensumme "
          "rechnungsnummer rechnungsdatum bezeichnung stück stk auftrag",
    "fr": "le les des du et pour avec est sur nous vous votre vos aux une au facture montant échéance "
          "tva ht ttc quantité prix unitaire règlement paiement numéro désignation merci livraison remise "
          "payer date client commande page sous-total acompte à",
    "nl": "het een van voor met niet wij uw onze bij factuur factuurnummer factuurdatum bedrag totaal btw "
          "omschrijving aantal prijs vervaldatum betaling klant klantnummer datum bedankt te betalen excl "
          "korting subtotaal levering bestelling",
    "es": "el los las del y para con por una su factura importe fecha vencimiento cantidad precio "
          "descripción cliente gracias pago base imponible número forma pedido albarán unidades",
    "it": "il lo gli della delle e di che non una fattura importo scadenza totale quantità prezzo "
          "descrizione pagamento imponibile numero grazie partita codice fiscale aliquota ordine cliente",
}
# Words that decide on their own: the document-type and amount words of each language.
_STRONG: dict[str, str] = {
    "en": "invoice amount due bill payment quantity balance",
    "de": "rechnung betrag gesamtbetrag rechnungsbetrag mwst ust umsatzsteuer mehrwertsteuer zahlbar "
          "einzelpreis zwischensumme rechnungsnummer rechnungsdatum",
    "fr": "facture montant tva ttc échéance règlement désignation quantité",
    "nl": "factuur factuurnummer factuurdatum bedrag totaal btw omschrijving vervaldatum aantal",
    "es": "factura importe vencimiento cantidad albarán fecha",
    "it": "fattura importo scadenza imponibile quantità aliquota totale",
}
# German and Dutch glue words together (Rechnungsnummer, Gesamtbetrag, factuuradres): stems count too.
_STEMS: dict[str, tuple[str, ...]] = {
    "de": ("rechnung", "gesamt", "steuer", "zahlung", "kunden", "liefer", "betrag", "leistung"),
    "nl": ("factuur", "betaling", "bedrag", "klant"),
}
_STRONG_WEIGHT = 3.0
_STOP_WEIGHT = 1.0
_STEM_WEIGHT = 2.0
_SATURATION = 8.0  # evidence (weighted count) at which a clear margin means full confidence


def _fold(word: str) -> str:
    if word.isascii():
        return word
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


def _build() -> dict[str, dict[str, float]]:
    """word -> {language: weight}; words listed for more than one language are dropped as uninformative."""
    owners: dict[str, set[str]] = {}
    for lang, words in _STOPWORDS.items():
        for w in words.split():
            owners.setdefault(_fold(w), set()).add(lang)
    table: dict[str, dict[str, float]] = {}
    for word, langs in owners.items():
        if len(langs) == 1:
            lang = next(iter(langs))
            strong = {_fold(w) for w in _STRONG[lang].split()}
            table[word] = {lang: _STRONG_WEIGHT if word in strong else _STOP_WEIGHT}
    return table


_TABLE = _build()
_STEM_ITEMS: tuple[tuple[str, str], ...] = tuple((stem, lang) for lang, ss in _STEMS.items() for stem in ss)
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")


def _scores(words: Iterable[str]) -> dict[str, float]:
    scores = dict.fromkeys(LANGUAGES, 0.0)
    for raw in words:
        word = _fold(raw.casefold())
        hit = _TABLE.get(word)
        if hit:
            for lang, weight in hit.items():
                scores[lang] += weight
            continue
        if len(word) > 8:
            for stem, lang in _STEM_ITEMS:
                if stem in word:
                    scores[lang] += _STEM_WEIGHT
                    break
    return scores


def detect_language(text: str) -> tuple[str | None, float]:
    """Best of en/de/fr/nl/es/it and a score in 0..1 from the margin over the runner-up; (None, 0.0) if no
    evidence at all.

    The score grows with the margin and with the amount of evidence, so one "Rechnung" gives a moderate
    score and a full German invoice a high one.
    """
    if not text:
        return None, 0.0
    scores = _scores(_WORD_RE.findall(text))
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top <= 0 or top == second:
        return None, 0.0
    margin = (top - second) / top
    evidence = min(1.0, top / _SATURATION)
    return best, round(margin * (0.4 + 0.6 * evidence), 3)
