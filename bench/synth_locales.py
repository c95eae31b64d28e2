"""Per-locale vocabulary for the synthetic invoice generator (``bench/synth.py``).

Kept apart from the generator so that adding a synonym or a locale is a data edit, not a code change.
Every list offers several variants on purpose: an extractor tuned on a single label word per field would
look good on synthetic data and fail on the next real vendor, so each document draws one synonym per field.

All strings must be encodable in cp1252 (WinAnsi) because the PDFs also use the 14 standard PDF fonts;
the only exception (the narrow no-break space used as a French thousands separator) is applied by the
generator only when an embedded TrueType font that has the glyph is in use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# ------------------------------------------------------------------------------------------------------------
# Locales
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocaleSpec:
    """How a vendor from one locale prints numbers, dates, money and tax.

    Weighted tuples are ``(value, weight)``; the generator draws one value per document so that one locale
    still shows several conventions (as real vendors of one country do).
    """

    code: str
    language: str
    country: str
    currencies: tuple[tuple[str, float], ...]
    decimal_sep: str
    group_seps: tuple[tuple[str, float], ...]
    date_formats: tuple[tuple[str, float], ...]
    currency_patterns: tuple[tuple[str, float], ...]
    tax_rates: tuple[Decimal, ...]  # standard rate first, then reduced rates
    rate_formats: tuple[tuple[str, float], ...]
    page_sizes: tuple[tuple[str, float], ...] = (("A4", 1.0),)
    #: Numbers below 10 000 are sometimes printed without grouping (Spanish style guides ask for that).
    ungrouped_4digit: float = 0.1
    neg_patterns: tuple[tuple[str, float], ...] = (("-{v}", 3.0), ("- {v}", 1.0))
    extra: dict[str, object] = field(default_factory=dict)


_EUR_PATTERNS_AFTER = (("{v} {s}", 5.0), ("{v} {c}", 1.5), ("{c} {v}", 1.0), ("{s} {v}", 1.0),
                       ("{v}{s}", 0.5))
_EUR_PATTERNS_BEFORE = (("{s} {v}", 5.0), ("{s}{v}", 1.0), ("{c} {v}", 1.5), ("{v} {s}", 1.0),
                        ("{v} {c}", 0.5))

LOCALES: dict[str, LocaleSpec] = {
    "en_US": LocaleSpec(
        code="en_US", language="en", country="US",
        currencies=(("USD", 1.0),),
        decimal_sep=".", group_seps=((",", 1.0),),
        date_formats=(("{mm}/{dd}/{yyyy}", 5), ("{m}/{d}/{yyyy}", 2), ("{month} {d}, {yyyy}", 3),
                      ("{mon} {d}, {yyyy}", 2), ("{yyyy}-{mm}-{dd}", 1), ("{mm}-{dd}-{yyyy}", 0.7),
                      ("{mm}/{dd}/{yy}", 0.7)),
        currency_patterns=(("{s}{v}", 8.0), ("{s} {v}", 1.0), ("{v} {c}", 0.5), ("{c} {v}", 0.5)),
        tax_rates=(Decimal("7.25"), Decimal("6.25"), Decimal("8.875"), Decimal("6"), Decimal("8.25"),
                   Decimal("5.3")),
        rate_formats=(("{r}%", 4.0), ("{r} %", 0.2)),
        page_sizes=(("letter", 1.0),),
        ungrouped_4digit=0.05,
        neg_patterns=(("-{v}", 3.0), ("({v})", 2.0)),
    ),
    "en_GB": LocaleSpec(
        code="en_GB", language="en", country="GB",
        currencies=(("GBP", 9.0), ("EUR", 1.0)),
        decimal_sep=".", group_seps=((",", 1.0),),
        date_formats=(("{dd}/{mm}/{yyyy}", 5), ("{d} {month} {yyyy}", 3), ("{dth} {month} {yyyy}", 1.5),
                      ("{dd} {mon} {yyyy}", 2), ("{yyyy}-{mm}-{dd}", 0.7), ("{dd}.{mm}.{yyyy}", 0.5),
                      ("{dd}/{mm}/{yy}", 0.7)),
        currency_patterns=(("{s}{v}", 8.0), ("{c} {v}", 1.0), ("{v} {c}", 0.5)),
        tax_rates=(Decimal("20"), Decimal("5"), Decimal("0")),
        rate_formats=(("{r}%", 4.0), ("{r} %", 0.3)),
        page_sizes=(("A4", 1.0),),
        ungrouped_4digit=0.05,
        neg_patterns=(("-{v}", 3.0), ("({v})", 1.5)),
    ),
    "de_DE": LocaleSpec(
        code="de_DE", language="de", country="DE",
        currencies=(("EUR", 1.0),),
        decimal_sep=",", group_seps=((".", 6.0), ("", 2.0), (" ", 0.5)),
        date_formats=(("{dd}.{mm}.{yyyy}", 10), ("{d}.{m}.{yyyy}", 1.5), ("{d}. {month} {yyyy}", 2.5),
                      ("{dd}.{mm}.{yy}", 1.5), ("{yyyy}-{mm}-{dd}", 0.7), ("{dd}. {mon} {yyyy}", 0.7)),
        currency_patterns=_EUR_PATTERNS_AFTER + (("EUR {v}", 0.5),),
        tax_rates=(Decimal("19"), Decimal("7")),
        rate_formats=(("{r} %", 3.0), ("{r}%", 3.0), ("{r2} %", 1.0), ("{r2}%", 0.5)),
        neg_patterns=(("-{v}", 3.0), ("- {v}", 1.0), ("{v}-", 1.0)),
    ),
    "de_AT": LocaleSpec(
        code="de_AT", language="de", country="AT",
        currencies=(("EUR", 1.0),),
        decimal_sep=",", group_seps=((".", 6.0), (" ", 1.0), ("", 1.5)),
        date_formats=(("{dd}.{mm}.{yyyy}", 10), ("{d}.{m}.{yyyy}", 1.5), ("{d}. {month} {yyyy}", 2.5),
                      ("{dd}.{mm}.{yy}", 1.0), ("{yyyy}-{mm}-{dd}", 0.5)),
        currency_patterns=(("{s} {v}", 4.0), ("{v} {s}", 3.0), ("EUR {v}", 1.5), ("{v} EUR", 1.0)),
        tax_rates=(Decimal("20"), Decimal("10"), Decimal("13")),
        rate_formats=(("{r} %", 3.0), ("{r}%", 3.0), ("{r2} %", 0.5)),
        neg_patterns=(("-{v}", 3.0), ("- {v}", 1.0)),
        extra={"months_override": {1: ("Jänner", "Jän.")}},
    ),
    "de_CH": LocaleSpec(
        code="de_CH", language="de", country="CH",
        currencies=(("CHF", 8.5), ("EUR", 1.5)),
        decimal_sep=".", group_seps=(("'", 6.0), ("\u2019", 2.0), (" ", 0.5), ("", 1.0)),
        date_formats=(("{dd}.{mm}.{yyyy}", 10), ("{d}. {month} {yyyy}", 2.5), ("{d}.{m}.{yyyy}", 1.0),
                      ("{dd}.{mm}.{yy}", 1.0), ("{yyyy}-{mm}-{dd}", 0.3)),
        currency_patterns=(("{c} {v}", 6.0), ("{v} {c}", 2.0), ("Fr. {v}", 0.7)),
        tax_rates=(Decimal("8.1"), Decimal("2.6"), Decimal("3.8")),
        rate_formats=(("{r}%", 3.0), ("{r} %", 3.0), ("{r2}%", 0.5)),
        neg_patterns=(("-{v}", 3.0), ("- {v}", 1.0)),
    ),
    "fr_FR": LocaleSpec(
        code="fr_FR", language="fr", country="FR",
        currencies=(("EUR", 1.0),),
        decimal_sep=",", group_seps=(("\u00a0", 4.0), (" ", 3.0), ("\u202f", 1.5), (".", 1.0), ("", 1.0)),
        date_formats=(("{dd}/{mm}/{yyyy}", 10), ("{d} {month} {yyyy}", 3), ("{d1er} {month} {yyyy}", 1.0),
                      ("{dd}-{mm}-{yyyy}", 1.0), ("{dd}.{mm}.{yyyy}", 0.5), ("{dd}/{mm}/{yy}", 1.0)),
        currency_patterns=(("{v} {s}", 6.0), ("{v}\u00a0{s}", 2.0), ("{v} {c}", 1.0), ("{v}{s}", 0.5),
                           ("{s} {v}", 0.3)),
        tax_rates=(Decimal("20"), Decimal("10"), Decimal("5.5")),
        rate_formats=(("{r} %", 4.0), ("{r}%", 2.0), ("{r2} %", 1.0)),
        neg_patterns=(("-{v}", 3.0), ("- {v}", 1.0)),
    ),
    "nl_NL": LocaleSpec(
        code="nl_NL", language="nl", country="NL",
        currencies=(("EUR", 1.0),),
        decimal_sep=",", group_seps=((".", 8.0), ("", 2.0)),
        date_formats=(("{dd}-{mm}-{yyyy}", 10), ("{d}-{m}-{yyyy}", 2.0), ("{d} {month} {yyyy}", 3),
                      ("{dd}/{mm}/{yyyy}", 1.0), ("{yyyy}-{mm}-{dd}", 0.7), ("{d} {mon} {yyyy}", 0.7)),
        currency_patterns=(("{s} {v}", 8.0), ("{s}{v}", 1.5), ("{c} {v}", 1.0), ("{v} {s}", 0.5)),
        tax_rates=(Decimal("21"), Decimal("9")),
        rate_formats=(("{r}%", 5.0), ("{r} %", 1.0)),
        neg_patterns=(("-{v}", 2.0), ("- {v}", 2.0), ("-/- {v}", 0.5)),
    ),
    "nl_BE": LocaleSpec(
        code="nl_BE", language="nl", country="BE",
        currencies=(("EUR", 1.0),),
        decimal_sep=",", group_seps=((".", 8.0), (" ", 1.0), ("", 1.5)),
        date_formats=(("{dd}/{mm}/{yyyy}", 10), ("{dd}-{mm}-{yyyy}", 3), ("{d} {month} {yyyy}", 3),
                      ("{dd}.{mm}.{yyyy}", 1.0), ("{yyyy}-{mm}-{dd}", 0.5)),
        currency_patterns=(("{s} {v}", 3.0), ("{v} {s}", 4.0), ("{v} {c}", 1.0), ("{c} {v}", 1.0)),
        tax_rates=(Decimal("21"), Decimal("6"), Decimal("12")),
        rate_formats=(("{r}%", 4.0), ("{r} %", 2.0), ("{r2} %", 0.5)),
    ),
    "es_ES": LocaleSpec(
        code="es_ES", language="es", country="ES",
        currencies=(("EUR", 1.0),),
        decimal_sep=",", group_seps=((".", 8.0), ("", 1.5), (" ", 0.5)),
        date_formats=(("{dd}/{mm}/{yyyy}", 10), ("{d} de {month} de {yyyy}", 3), ("{dd}-{mm}-{yyyy}", 2),
                      ("{d}/{m}/{yyyy}", 1.0), ("{dd}/{mm}/{yy}", 1.0), ("{yyyy}-{mm}-{dd}", 0.3)),
        currency_patterns=(("{v} {s}", 8.0), ("{v}{s}", 1.5), ("{v} {c}", 1.0), ("{s} {v}", 0.5)),
        tax_rates=(Decimal("21"), Decimal("10"), Decimal("4")),
        rate_formats=(("{r}%", 4.0), ("{r} %", 2.0), ("{r2}%", 1.0)),
        ungrouped_4digit=0.4,
    ),
    "it_IT": LocaleSpec(
        code="it_IT", language="it", country="IT",
        currencies=(("EUR", 1.0),),
        decimal_sep=",", group_seps=((".", 8.0), ("", 1.5), ("'", 0.3)),
        date_formats=(("{dd}/{mm}/{yyyy}", 10), ("{d} {month} {yyyy}", 2.5), ("{dd}.{mm}.{yyyy}", 1.0),
                      ("{dd}-{mm}-{yyyy}", 1.5), ("{dd}/{mm}/{yy}", 1.0), ("{yyyy}-{mm}-{dd}", 0.3)),
        currency_patterns=(("{s} {v}", 6.0), ("{v} {s}", 2.5), ("{c} {v}", 1.0), ("{v} {c}", 0.5)),
        tax_rates=(Decimal("22"), Decimal("10"), Decimal("4")),
        rate_formats=(("{r}%", 5.0), ("{r} %", 1.0), ("{r2}%", 0.5)),
    ),
}

CURRENCY_SYMBOLS: dict[str, str] = {"USD": "$", "GBP": "£", "EUR": "€", "CHF": "CHF"}

# ------------------------------------------------------------------------------------------------------------
# Calendar words
# ------------------------------------------------------------------------------------------------------------

MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"),
}

MONTHS_ABBR: dict[str, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "de": ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "es": ("ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic."),
    "it": ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
}

# ------------------------------------------------------------------------------------------------------------
# Label words. One synonym per key is drawn per document. "{rate}" / "{pct}" are filled by the generator.
# ------------------------------------------------------------------------------------------------------------

LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "title": ("INVOICE", "Invoice", "INVOICE", "Sales Invoice"),
        "invoice_id": ("Invoice #", "Invoice No.", "Invoice Number", "Invoice no", "Inv. No.", "Invoice ID"),
        "invoice_date": ("Invoice Date", "Date", "Date of Issue", "Issue Date", "Invoice date"),
        "due_date": ("Due Date", "Payment Due", "Due", "Due by", "Payment due date"),
        "po": ("PO Number", "P.O. #", "Your order", "PO #", "Purchase Order", "Customer PO"),
        "customer_id": ("Customer ID", "Customer No.", "Account No.", "Client #", "Customer Number",
                        "Account #"),
        "payment_term": ("Terms", "Payment Terms", "Terms of payment"),
        "vendor_tax_id": ("Tax ID", "EIN", "Federal Tax ID"),
        "customer_tax_id": ("Customer Tax ID",),
        "bill_to": ("Bill To", "Billed To", "Invoice To", "Customer", "Sold To", "To"),
        "ship_to": ("Ship To", "Deliver To", "Shipping Address"),
        "from": ("From", "Seller", "Supplier"),
        "subtotal": ("Subtotal", "Sub-total", "Net Amount", "Subtotal", "Net total"),
        "discount": ("Discount", "Discount {pct}", "Less discount", "Trade discount {pct}"),
        "net_after_discount": ("Net after discount", "Taxable amount", "Net amount"),
        "tax": ("Sales Tax", "Tax", "Sales Tax ({rate})", "Tax ({rate})", "Tax {rate}"),
        "tax_rated": ("Sales Tax ({rate})", "Tax ({rate})", "Tax {rate}", "Tax @ {rate}"),
        "total": ("Total", "Invoice Total", "TOTAL", "Total Amount", "Grand Total"),
        "amount_due": ("Amount Due", "Balance Due", "Total Due", "Please Pay", "Amount Payable"),
        "previous_balance": ("Previous Balance", "Balance Forward", "Previous Unpaid Balance",
                             "Prior Balance"),
        "col_pos": ("#", "Line", "No."),
        "col_code": ("Item #", "SKU", "Product Code", "Part No.", "Code", "Item Code"),
        "col_desc": ("Description", "Item", "Product / Service", "Details", "Item Description"),
        "col_qty": ("Qty", "Quantity", "QTY", "Units", "Hrs/Qty"),
        "col_unit": ("Unit", "UOM", "U/M"),
        "col_price": ("Unit Price", "Rate", "Price", "Unit Cost", "Price Each"),
        "col_tax": ("Tax", "Tax %", "Tax Rate"),
        "col_amount": ("Amount", "Total", "Line Total", "Ext. Price", "Net Amount"),
        "page": ("Page {p} of {n}", "Page {p}/{n}", "{p}/{n}"),
        "continued": ("Continued on page {n}", "(continued)", "continued ..."),
        "carried": ("Carried forward", "Subtotal carried forward", "Brought forward"),
        "bank": ("Bank Details", "Payment Details", "Remit To", "Payment Information", "Bank details"),
        "bank_name": ("Bank", "Bank name"),
        "account_holder": ("Account name", "Account holder", "Beneficiary"),
        "iban": ("IBAN", "IBAN", "IBAN no."),
        "bic": ("BIC", "SWIFT", "SWIFT/BIC", "BIC/SWIFT", "SWIFT Code"),
        "routing": ("ABA/Routing", "Routing No.", "ABA"),
        "account": ("Account #", "Account No.", "Acct."),
        "phone": ("Phone", "Tel", "Tel.", "P:"),
        "email": ("Email", "E-mail", "E:"),
        "web": ("Web", "www", "Website"),
        "delivery_date": ("Delivery Date", "Ship Date", "Shipped"),
        "order_date": ("Order Date", "Date Ordered"),
        "service_period": ("Service Period", "Period", "Billing Period"),
        "our_ref": ("Sales Order #", "Our Ref.", "Delivery Note", "Job No."),
        "contact": ("Contact", "Your contact", "Sales Rep", "Account Manager"),
        "attn": ("Attn:", "Attention:", "ATTN"),
        "vat_summary_rate": ("Rate",),
        "vat_summary_base": ("Net",),
        "vat_summary_tax": ("Tax",),
        "vat_summary_gross": ("Gross",),
        "registration": ("Company No.", "Registered in England and Wales No."),
    },
    "de": {
        "title": ("RECHNUNG", "Rechnung", "RECHNUNG"),
        "invoice_id": ("Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr.", "Rechnungsnr.", "Beleg-Nr.",
                       "Re.-Nr."),
        "invoice_date": ("Rechnungsdatum", "Datum", "Belegdatum", "Rechnungsdatum"),
        "due_date": ("Fällig am", "Zahlbar bis", "Fälligkeitsdatum", "Fälligkeit"),
        "po": ("Bestellnummer", "Ihre Bestellung", "Ihre Bestell-Nr.", "Bestell-Nr.", "Ihr Auftrag"),
        "customer_id": ("Kundennummer", "Kunden-Nr.", "Kd.-Nr.", "Ihre Kundennummer"),
        "payment_term": ("Zahlungsbedingungen", "Zahlungsziel", "Zahlungsbedingung"),
        "vendor_tax_id": ("USt-IdNr.", "USt-ID", "USt.-IdNr.", "Umsatzsteuer-ID", "USt-Id-Nr."),
        "customer_tax_id": ("Ihre USt-IdNr.", "USt-IdNr. Kunde"),
        "bill_to": ("Rechnungsadresse", "Rechnungsempfänger", "Kunde", "An"),
        "ship_to": ("Lieferadresse", "Lieferanschrift"),
        "from": ("Absender", "Lieferant"),
        "subtotal": ("Nettobetrag", "Zwischensumme", "Summe netto", "Gesamt netto", "Warenwert netto",
                     "Nettosumme"),
        "discount": ("Rabatt", "Rabatt {pct}", "abzgl. Rabatt", "Nachlass {pct}"),
        "net_after_discount": ("Netto nach Rabatt", "Nettobetrag nach Rabatt", "Summe netto"),
        "tax": ("MwSt.", "MwSt. {rate}", "USt. {rate}", "Umsatzsteuer {rate}", "zzgl. {rate} MwSt.",
                "{rate} USt."),
        "tax_rated": ("MwSt. {rate}", "USt. {rate}", "Umsatzsteuer {rate}", "zzgl. {rate} MwSt.",
                      "{rate} USt."),
        "total": ("Gesamtbetrag", "Rechnungsbetrag", "Endbetrag", "Gesamtsumme", "Summe brutto",
                  "Bruttobetrag", "Gesamt"),
        "amount_due": ("Zahlbetrag", "Zu zahlen", "Offener Betrag", "Zu zahlender Betrag"),
        "previous_balance": ("Offener Saldo Vorrechnung", "Saldovortrag", "Vortrag offene Posten",
                             "Offener Betrag aus Vorrechnung"),
        "col_pos": ("Pos.", "Pos", "Nr."),
        "col_code": ("Art.-Nr.", "Artikelnr.", "Artikel", "Art.Nr."),
        "col_desc": ("Bezeichnung", "Beschreibung", "Artikel / Leistung", "Leistung", "Artikelbezeichnung"),
        "col_qty": ("Menge", "Anzahl", "Anz."),
        "col_unit": ("Einheit", "ME", "Einh."),
        "col_price": ("Einzelpreis", "E-Preis", "Preis/ME", "Einzelpr.", "Preis"),
        "col_tax": ("MwSt.", "USt.", "MwSt.-Satz", "USt %"),
        "col_amount": ("Gesamtpreis", "Gesamt", "Betrag", "G-Preis", "Summe", "Netto"),
        "page": ("Seite {p} von {n}", "Seite {p}/{n}", "Blatt {p}"),
        "continued": ("Fortsetzung auf Seite {n}", "- Fortsetzung -", "weiter auf Seite {n}"),
        "carried": ("Übertrag", "Zwischensumme Übertrag"),
        "bank": ("Bankverbindung", "Zahlungsinformationen", "Bankverbindung"),
        "bank_name": ("Bank", "Kreditinstitut", "Institut"),
        "account_holder": ("Kontoinhaber", "Empfänger"), "iban": ("IBAN",),
        "bic": ("BIC", "BIC/SWIFT", "SWIFT-BIC"),
        "routing": ("BLZ",),
        "account": ("Konto",),
        "phone": ("Tel.", "Telefon", "Fon", "T"),
        "email": ("E-Mail", "Mail", "E"),
        "web": ("Web", "Internet", "www"),
        "delivery_date": ("Lieferdatum", "Leistungsdatum", "Liefertermin"),
        "order_date": ("Bestelldatum", "Auftragsdatum"),
        "service_period": ("Leistungszeitraum", "Abrechnungszeitraum"),
        "our_ref": ("Lieferschein-Nr.", "Auftrags-Nr.", "Unser Zeichen", "Auftragsnummer"),
        "contact": ("Ansprechpartner", "Bearbeiter", "Ihr Ansprechpartner"),
        "attn": ("z. Hd.", "z. H.", "Attn."),
        "vat_summary_rate": ("MwSt.-Satz", "USt-Satz"),
        "vat_summary_base": ("Netto", "Nettobetrag"),
        "vat_summary_tax": ("MwSt.", "USt-Betrag"),
        "vat_summary_gross": ("Brutto", "Bruttobetrag"),
        "tax_number": ("Steuernummer", "St.-Nr."),
        "managing_director": ("Geschäftsführer", "Geschäftsführung", "GF"),
    },
    "fr": {
        "title": ("FACTURE", "Facture", "FACTURE"),
        "invoice_id": ("Facture n°", "N° de facture", "Facture N°", "Numéro de facture", "Réf. facture"),
        "invoice_date": ("Date de facture", "Date", "Date d'émission", "Date de facturation", "Émise le"),
        "due_date": ("Date d'échéance", "À payer avant le", "Échéance", "Date limite de paiement"),
        "po": ("N° de commande", "Bon de commande", "Votre commande", "Réf. commande client"),
        "customer_id": ("N° client", "Code client", "Référence client", "Client n°"),
        "payment_term": ("Conditions de paiement", "Modalités de paiement", "Conditions de règlement"),
        "vendor_tax_id": ("N° TVA intracommunautaire", "TVA intracom.", "N° TVA", "Numéro de TVA"),
        "customer_tax_id": ("N° TVA client", "TVA intracom. client"),
        "bill_to": ("Facturé à", "Adresse de facturation", "Client", "Destinataire"),
        "ship_to": ("Livré à", "Adresse de livraison"),
        "from": ("Émetteur", "Fournisseur"),
        "subtotal": ("Total HT", "Montant HT", "Sous-total HT", "Total hors taxes"),
        "discount": ("Remise", "Remise {pct}", "Remise commerciale"),
        "net_after_discount": ("Net HT", "Total HT après remise", "Base HT", "Total HT net"),
        "tax": ("TVA {rate}", "TVA ({rate})", "Total TVA", "TVA à {rate}", "Montant TVA {rate}"),
        "tax_rated": ("TVA {rate}", "TVA ({rate})", "TVA à {rate}", "Montant TVA {rate}"),
        "total": ("Total TTC", "Montant TTC", "Total toutes taxes comprises", "TOTAL TTC"),
        "amount_due": ("Net à payer", "Reste à payer", "Montant dû", "Solde à payer"),
        "previous_balance": ("Solde antérieur", "Report solde précédent", "Impayé précédent"),
        "col_pos": ("N°", "Ligne", "#"),
        "col_code": ("Réf.", "Référence", "Code article", "Réf. article"),
        "col_desc": ("Désignation", "Description", "Libellé", "Article"),
        "col_qty": ("Qté", "Quantité", "Qté."),
        "col_unit": ("Unité", "U."),
        "col_price": ("Prix unitaire HT", "P.U. HT", "PU HT", "Prix unit."),
        "col_tax": ("TVA", "Taux TVA", "TVA %"),
        "col_amount": ("Montant HT", "Total HT", "Montant", "Total"),
        "page": ("Page {p}/{n}", "Page {p} sur {n}"),
        "continued": ("Suite page {n}", "... suite", "Suite au verso"),
        "carried": ("Report", "À reporter", "Sous-total reporté"),
        "bank": ("Coordonnées bancaires", "Règlement par virement", "RIB", "Paiement"),
        "bank_name": ("Banque", "Domiciliation"),
        "account_holder": ("Titulaire du compte", "Titulaire"), "iban": ("IBAN",),
        "bic": ("BIC", "Code BIC", "BIC/SWIFT"),
        "routing": ("Code banque",),
        "account": ("N° de compte",),
        "phone": ("Tél.", "Tél", "Téléphone"),
        "email": ("E-mail", "Courriel", "Email"),
        "web": ("Site", "Web"),
        "delivery_date": ("Date de livraison", "Livré le"),
        "order_date": ("Date de commande",),
        "service_period": ("Période", "Période de facturation"),
        "our_ref": ("Bon de livraison", "N° BL", "Notre réf.", "N° devis"),
        "contact": ("Votre contact", "Interlocuteur", "Suivi par"),
        "attn": ("À l'attention de", "Attn."),
        "vat_summary_rate": ("Taux", "Taux TVA"),
        "vat_summary_base": ("Base HT", "Montant HT"),
        "vat_summary_tax": ("Montant TVA", "TVA"),
        "vat_summary_gross": ("TTC", "Montant TTC"),
        "registration": ("SIRET", "RCS"),
    },
    "nl": {
        "title": ("FACTUUR", "Factuur", "FACTUUR"),
        "invoice_id": ("Factuurnummer", "Factuurnr.", "Factuur nr.", "Nummer", "Factuur nummer"),
        "invoice_date": ("Factuurdatum", "Datum", "Factuur datum"),
        "due_date": ("Vervaldatum", "Uiterste betaaldatum", "Te betalen voor", "Betalen vóór"),
        "po": ("Ordernummer", "Uw referentie", "Uw ordernummer", "Inkoopordernummer", "PO-nummer"),
        "customer_id": ("Klantnummer", "Klantnr.", "Debiteurnummer", "Uw klantnummer"),
        "payment_term": ("Betalingstermijn", "Betalingsvoorwaarden", "Betaalconditie"),
        "vendor_tax_id": ("Btw-nummer", "BTW-nr.", "BTW nummer", "Btw-id", "BTW"),
        "customer_tax_id": ("Uw btw-nummer", "BTW-nr. klant"),
        "bill_to": ("Factuuradres", "Klant", "Aan", "Gefactureerd aan"),
        "ship_to": ("Afleveradres", "Leveradres"),
        "from": ("Van", "Leverancier"),
        "subtotal": ("Subtotaal", "Totaal excl. btw", "Totaal exclusief BTW", "Netto bedrag",
                     "Subtotaal excl. BTW"),
        "discount": ("Korting", "Korting {pct}"),
        "net_after_discount": ("Subtotaal na korting", "Netto na korting", "Totaal excl. btw"),
        "tax": ("BTW {rate}", "{rate} btw", "Btw {rate}", "BTW ({rate})", "Totaal btw"),
        "tax_rated": ("BTW {rate}", "{rate} btw", "Btw {rate}", "BTW ({rate})"),
        "total": ("Totaal incl. btw", "Totaal", "Totaalbedrag", "Totaal inclusief BTW", "Factuurbedrag"),
        "amount_due": ("Te betalen", "Openstaand bedrag", "Nog te betalen", "Totaal te betalen"),
        "previous_balance": ("Vorig saldo", "Openstaand saldo vorige factuur", "Saldo vorige periode"),
        "col_pos": ("Nr.", "#", "Regel"),
        "col_code": ("Artikelnr.", "Art.nr.", "Code", "Artikelcode"),
        "col_desc": ("Omschrijving", "Artikel", "Beschrijving", "Product"),
        "col_qty": ("Aantal", "Aant."),
        "col_unit": ("Eenheid", "Eenh."),
        "col_price": ("Prijs", "Stukprijs", "Eenheidsprijs", "Prijs per stuk", "Tarief"),
        "col_tax": ("BTW", "Btw %", "BTW-tarief"),
        "col_amount": ("Bedrag", "Totaal", "Subtotaal", "Regeltotaal"),
        "page": ("Pagina {p} van {n}", "Blad {p}/{n}"),
        "continued": ("Vervolg op pagina {n}", "vervolg"),
        "carried": ("Transport", "Tussentotaal transport"),
        "bank": ("Bankgegevens", "Betaalgegevens", "Betalingsgegevens"),
        "bank_name": ("Bank",),
        "account_holder": ("Ten name van", "T.n.v.", "Rekeninghouder"),
        "iban": ("IBAN", "Rekening (IBAN)"),
        "bic": ("BIC", "Swift/BIC"),
        "routing": ("Bankcode",),
        "account": ("Rekeningnummer",),
        "phone": ("Tel.", "Telefoon", "T"),
        "email": ("E-mail", "E"),
        "web": ("Website", "Web", "W"),
        "delivery_date": ("Leverdatum", "Afleverdatum"),
        "order_date": ("Orderdatum", "Besteldatum"),
        "service_period": ("Periode", "Factuurperiode"),
        "our_ref": ("Pakbon", "Onze referentie", "Projectnummer"),
        "contact": ("Contactpersoon", "Uw contactpersoon"),
        "attn": ("T.a.v.", "t.a.v."),
        "vat_summary_rate": ("Tarief", "BTW %"),
        "vat_summary_base": ("Grondslag", "Excl. btw"),
        "vat_summary_tax": ("BTW", "Btw-bedrag"),
        "vat_summary_gross": ("Incl. btw", "Totaal"),
        "registration": ("KvK", "KvK-nummer", "Ondernemingsnummer"),
    },
    "es": {
        "title": ("FACTURA", "Factura", "FACTURA"),
        "invoice_id": ("Factura nº", "Número de factura", "Nº factura", "Factura n.º", "Núm. factura",
                       "Nº de factura"),
        "invoice_date": ("Fecha", "Fecha de factura", "Fecha factura", "Fecha de emisión",
                         "Fecha expedición"),
        "due_date": ("Vencimiento", "Fecha de vencimiento", "Fecha vto.", "Vto."),
        "po": ("Pedido", "Nº pedido", "Su pedido", "Referencia pedido", "Su referencia"),
        "customer_id": ("Nº cliente", "Código cliente", "Cliente nº", "Cód. cliente"),
        "payment_term": ("Forma de pago", "Condiciones de pago", "Plazo de pago"),
        "vendor_tax_id": ("NIF", "CIF", "N.I.F.", "C.I.F.", "NIF/CIF"),
        "customer_tax_id": ("NIF cliente", "CIF cliente", "NIF"),
        "bill_to": ("Cliente", "Facturar a", "Datos del cliente", "Destinatario"),
        "ship_to": ("Dirección de entrega", "Enviar a"),
        "from": ("Emisor", "Proveedor"),
        "subtotal": ("Base imponible", "Subtotal", "Importe neto", "Base"),
        "discount": ("Descuento", "Dto. {pct}", "Descuento {pct}"),
        "net_after_discount": ("Base imponible", "Neto", "Importe neto"),
        "tax": ("IVA {rate}", "IVA ({rate})", "Cuota IVA {rate}", "Cuota IVA", "I.V.A. {rate}"),
        "tax_rated": ("IVA {rate}", "IVA ({rate})", "Cuota IVA {rate}", "I.V.A. {rate}"),
        "total": ("Total factura", "Total", "TOTAL", "Importe total", "TOTAL FACTURA"),
        "amount_due": ("Total a pagar", "Importe a pagar", "Pendiente de pago"),
        "previous_balance": ("Saldo anterior", "Saldo pendiente anterior"),
        "col_pos": ("Nº", "Lín.", "#"),
        "col_code": ("Código", "Ref.", "Referencia", "Cód."),
        "col_desc": ("Descripción", "Concepto", "Artículo", "Descripción del servicio"),
        "col_qty": ("Cantidad", "Cant.", "Uds.", "Unidades"),
        "col_unit": ("Unidad", "Ud."),
        "col_price": ("Precio", "Precio unitario", "P. unitario", "Precio ud."),
        "col_tax": ("IVA", "% IVA", "IVA %"),
        "col_amount": ("Importe", "Total", "Subtotal", "Importe neto"),
        "page": ("Página {p} de {n}", "Pág. {p}/{n}"),
        "continued": ("Continúa en la página {n}", "(continúa)"),
        "carried": ("Suma y sigue", "Suma anterior"),
        "bank": ("Datos bancarios", "Forma de pago: transferencia", "Cuenta bancaria"),
        "bank_name": ("Entidad", "Banco"),
        "account_holder": ("Titular", "Beneficiario"),
        "iban": ("IBAN", "Cuenta IBAN"),
        "bic": ("BIC", "SWIFT", "BIC/SWIFT"),
        "routing": ("Entidad",),
        "account": ("Cuenta",),
        "phone": ("Tel.", "Teléfono", "Tfno."),
        "email": ("Email", "Correo", "E-mail"), "web": ("Web",),
        "delivery_date": ("Fecha de entrega", "Fecha entrega"),
        "order_date": ("Fecha pedido",),
        "service_period": ("Periodo", "Periodo facturado"),
        "our_ref": ("Albarán", "Nº albarán", "Nuestra ref.", "Presupuesto nº"),
        "contact": ("Contacto", "Comercial", "Atendido por"),
        "attn": ("A la atención de", "Att.:"),
        "vat_summary_rate": ("% IVA", "Tipo"),
        "vat_summary_base": ("Base imponible", "Base"),
        "vat_summary_tax": ("Cuota", "Cuota IVA"),
        "vat_summary_gross": ("Total",),
        "registration": ("Inscrita en el Registro Mercantil",),
    },
    "it": {
        "title": ("FATTURA", "Fattura", "FATTURA DIFFERITA", "Fattura di vendita"),
        "invoice_id": ("Fattura n.", "Numero fattura", "N. fattura", "Fattura nr.", "Documento n.",
                       "Num. doc."),
        "invoice_date": ("Data", "Data fattura", "Data documento", "Data emissione", "del"),
        "due_date": ("Scadenza", "Data scadenza", "Scadenza pagamento", "Da pagare entro"),
        "po": ("Vs. ordine", "Ordine n.", "Rif. ordine", "Vostro ordine", "N. ordine cliente"),
        "customer_id": ("Codice cliente", "Cod. cliente", "Cliente n.", "Rif. cliente"),
        "payment_term": ("Pagamento", "Condizioni di pagamento", "Modalità di pagamento",
                         "Termini di pagamento"),
        "vendor_tax_id": ("P. IVA", "Partita IVA", "P.IVA", "Part. IVA", "P.IVA/C.F."),
        "customer_tax_id": ("P. IVA cliente", "Vs. P. IVA"),
        "bill_to": ("Spett.le", "Cliente", "Destinatario", "Intestatario"),
        "ship_to": ("Destinazione merce", "Luogo di consegna"),
        "from": ("Cedente", "Fornitore"),
        "subtotal": ("Imponibile", "Totale imponibile", "Totale merce", "Subtotale", "Totale netto"),
        "discount": ("Sconto", "Sconto {pct}"),
        "net_after_discount": ("Imponibile", "Imponibile scontato", "Netto merce"),
        "tax": ("IVA {rate}", "IVA al {rate}", "Totale IVA", "Imposta {rate}", "IVA ({rate})"),
        "tax_rated": ("IVA {rate}", "IVA al {rate}", "Imposta {rate}", "IVA ({rate})"),
        "total": ("Totale documento", "Totale fattura", "Totale", "TOTALE", "Totale complessivo"),
        "amount_due": ("Netto a pagare", "Totale da pagare", "Importo dovuto"),
        "previous_balance": ("Saldo precedente", "Insoluto precedente"),
        "col_pos": ("N.", "Pos.", "Riga"),
        "col_code": ("Codice", "Cod. art.", "Articolo", "Cod."),
        "col_desc": ("Descrizione", "Descrizione articolo", "Descrizione beni/servizi"),
        "col_qty": ("Q.tà", "Quantità", "Qtà", "Qta"),
        "col_unit": ("U.M.", "UM", "Unità"),
        "col_price": ("Prezzo unitario", "Prezzo", "Prezzo unit.", "Pr. unitario"),
        "col_tax": ("IVA", "% IVA", "Aliquota", "Iva"),
        "col_amount": ("Importo", "Totale", "Imponibile", "Valore"),
        "page": ("Pagina {p} di {n}", "Pag. {p}/{n}"),
        "continued": ("Segue a pagina {n}", "... segue"),
        "carried": ("Riporto", "A riportare"),
        "bank": ("Coordinate bancarie", "Estremi bancari", "Appoggio bancario", "Banca d'appoggio"),
        "bank_name": ("Banca", "Istituto"),
        "account_holder": ("Intestato a", "Beneficiario"),
        "iban": ("IBAN", "Cod. IBAN"),
        "bic": ("BIC", "SWIFT", "BIC/SWIFT"),
        "routing": ("ABI",),
        "account": ("C/C",),
        "phone": ("Tel.", "Telefono"),
        "email": ("E-mail", "Email", "PEC"),
        "web": ("Web", "Sito"),
        "delivery_date": ("Data consegna", "DDT del"),
        "order_date": ("Data ordine",),
        "service_period": ("Periodo", "Periodo di riferimento"),
        "our_ref": ("DDT n.", "Documento di trasporto n.", "Ns. rif."),
        "contact": ("Referente", "Agente"),
        "attn": ("Alla c.a. di", "c.a."),
        "vat_summary_rate": ("Aliquota", "Cod. IVA"),
        "vat_summary_base": ("Imponibile",),
        "vat_summary_tax": ("Imposta", "IVA"),
        "vat_summary_gross": ("Totale",),
        "registration": ("REA", "Cap. Soc."),
    },
}

#: Per-locale overrides of ``LABELS`` (a key given here replaces the language's tuple).
LOCALE_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en_GB": {
        "title": ("INVOICE", "Invoice", "TAX INVOICE", "VAT Invoice"),
        "vendor_tax_id": ("VAT No.", "VAT Reg. No.", "VAT Registration No.", "VAT number"),
        "customer_tax_id": ("Customer VAT No.", "Your VAT No."),
        "subtotal": ("Subtotal", "Total excl. VAT", "Net total", "Sub-total", "Goods total (ex VAT)"),
        "tax": ("VAT", "VAT {rate}", "VAT @ {rate}", "VAT ({rate})"),
        "tax_rated": ("VAT {rate}", "VAT @ {rate}", "VAT ({rate})"),
        "total": ("Total", "Invoice Total", "Total incl. VAT", "Total (inc VAT)", "TOTAL"),
        "col_tax": ("VAT %", "VAT Rate", "VAT"),
        "delivery_date": ("Tax Point", "Date of supply", "Delivery Date"),
        "routing": ("Sort Code",),
        "account": ("Account No.", "Acc. No."),
    },
    "de_AT": {
        "vendor_tax_id": ("UID-Nr.", "UID", "USt-IdNr."),
        "customer_tax_id": ("Ihre UID", "UID-Nr. Kunde"),
        "tax": ("USt. {rate}", "MwSt. {rate}", "{rate} USt.", "zzgl. {rate} USt."),
        "tax_rated": ("USt. {rate}", "MwSt. {rate}", "{rate} USt.", "zzgl. {rate} USt."),
        "registration": ("FN", "Firmenbuch"),
    },
    "de_CH": {
        "vendor_tax_id": ("MWST-Nr.", "UID", "MWST", "UID/MWST"),
        "customer_tax_id": ("Ihre UID",),
        "tax": ("MWST {rate}", "MwSt. {rate}", "zzgl. MWST {rate}", "MWST"),
        "tax_rated": ("MWST {rate}", "MwSt. {rate}", "zzgl. MWST {rate}"),
        "total": ("Total", "Total CHF", "Rechnungsbetrag", "Gesamttotal", "Endbetrag"),
        "subtotal": ("Zwischentotal", "Total netto", "Nettobetrag", "Summe exkl. MWST"),
        "col_tax": ("MWST", "MWST-Satz", "MwSt."),
        "col_amount": ("Betrag", "Total", "Gesamt"),
    },
    "nl_BE": {
        "vendor_tax_id": ("BTW-nr.", "BTW", "Ondernemingsnr.", "Btw"),
        "due_date": ("Vervaldatum", "Vervaldag", "Te betalen vóór"),
        "registration": ("RPR", "Ondernemingsnummer"),
    },
}


def labels_for(locale: str) -> dict[str, tuple[str, ...]]:
    """The label synonyms for a locale: its language's table with the locale's overrides applied."""
    spec = LOCALES[locale]
    out = dict(LABELS[spec.language])
    out.update(LOCALE_LABELS.get(locale, {}))
    return out


# ------------------------------------------------------------------------------------------------------------
# Sentences around the table (they carry second copies of the total, due date and id: realistic distractors)
# ------------------------------------------------------------------------------------------------------------

TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "intro": ("Thank you for your business. Please find the details of your invoice below.",
                  "For services rendered and goods supplied as follows:",
                  "Dear Sir or Madam, we are pleased to invoice you for the following:"),
        "pay": ("Please pay {amount} by {due}, quoting invoice number {id}.",
                "Payment of {amount} is due by {due}. Please reference {id} with your payment.",
                "Kindly remit {amount} no later than {due}."),
        "pay_nodue": ("Please quote invoice number {id} with your payment.",
                      "Payment by bank transfer. Please include the invoice number as reference."),
        "thanks": ("Thank you for your business!", "We appreciate your business.", "Thank you!"),
        "reverse_charge": ("Reverse charge: customer to account for VAT.",
                           "VAT reverse charge applies (Art. 196 Directive 2006/112/EC)."),
        "greeting": ("Dear Sir or Madam,",),
        "closing": ("Kind regards,", "Yours faithfully,", "Best regards,"),
        "late_fee": ("Late payments are subject to interest of 1.5% per month.",),
    },
    "de": {
        "intro": ("Sehr geehrte Damen und Herren, für unsere Leistungen erlauben wir uns, Ihnen Folgendes "
                  "in Rechnung zu stellen:",
                  "vielen Dank für Ihren Auftrag. Wir berechnen Ihnen wie folgt:",
                  "Wir bedanken uns für Ihre Bestellung und stellen Ihnen folgende Positionen in Rechnung:"),
        "pay": ("Bitte überweisen Sie den Rechnungsbetrag von {amount} bis zum {due} auf das unten genannte "
                "Konto.",
                "Wir bitten um Zahlung von {amount} bis {due} unter Angabe der Rechnungsnummer {id}.",
                "Zahlbar bis {due} ohne Abzug. Verwendungszweck: {id}"),
        "pay_nodue": ("Bitte geben Sie bei Zahlung die Rechnungsnummer {id} an.",
                      "Der Betrag wird per SEPA-Lastschrift von Ihrem Konto eingezogen."),
        "thanks": ("Vielen Dank für Ihren Auftrag!", "Wir danken für Ihr Vertrauen.",
                   "Vielen Dank für die gute Zusammenarbeit."),
        "reverse_charge": ("Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge).",
                           "Steuerfreie innergemeinschaftliche Lieferung gem. § 4 Nr. 1b UStG."),
        "small_business": ("Gemäß § 19 UStG wird keine Umsatzsteuer berechnet.",
                           "Kein Ausweis der Umsatzsteuer aufgrund der Kleinunternehmerregelung "
                           "(§ 19 UStG)."),
        "greeting": ("Sehr geehrte Damen und Herren,",),
        "closing": ("Mit freundlichen Grüßen", "Freundliche Grüße"),
        "late_fee": ("Bei Zahlungsverzug berechnen wir Verzugszinsen in gesetzlicher Höhe.",),
    },
    "fr": {
        "intro": ("Madame, Monsieur, veuillez trouver ci-dessous le détail de notre facture.",
                  "Nous vous remercions de votre commande et vous prions de trouver ci-après notre facture.",
                  ),
        "pay": ("Merci de régler la somme de {amount} avant le {due} par virement bancaire.",
                "Montant de {amount} à régler au plus tard le {due}, en rappelant la référence {id}.",),
        "pay_nodue": ("Merci d'indiquer le numéro de facture {id} lors de votre règlement.",),
        "thanks": ("Merci de votre confiance.", "Nous vous remercions de votre confiance."),
        "reverse_charge": ("Autoliquidation - TVA due par le preneur (art. 283-2 du CGI).",
                           "Exonération de TVA, article 262 ter I du CGI."),
        "greeting": ("Madame, Monsieur,",),
        "closing": ("Cordialement,", "Veuillez agréer nos salutations distinguées."),
        "late_fee": ("En cas de retard de paiement, une pénalité égale à 3 fois le taux d'intérêt légal sera "
                     "exigible, ainsi qu'une indemnité forfaitaire pour frais de recouvrement de 40 €.",
                     "Pas d'escompte pour paiement anticipé. Indemnité forfaitaire pour frais de "
                     "recouvrement : 40 €."),
    },
    "nl": {
        "intro": ("Geachte heer/mevrouw, hierbij ontvangt u de factuur voor de geleverde diensten.",
                  "Bedankt voor uw bestelling. Wij brengen u het volgende in rekening:"),
        "pay": ("Wij verzoeken u het bedrag van {amount} vóór {due} over te maken onder vermelding van "
                "factuurnummer {id}.",
                "Gelieve {amount} te betalen vóór {due}.",),
        "pay_nodue": ("Vermeld bij betaling het factuurnummer {id}.",
                      "Het bedrag wordt automatisch van uw rekening afgeschreven."),
        "thanks": ("Bedankt voor uw opdracht!", "Hartelijk dank voor uw vertrouwen."),
        "reverse_charge": ("BTW verlegd.", "Btw verlegd naar afnemer (art. 12 Wet OB)."),
        "greeting": ("Geachte heer/mevrouw,",),
        "closing": ("Met vriendelijke groet,",),
        "late_fee": ("Bij niet tijdige betaling zijn wij gerechtigd wettelijke rente in rekening te "
                     "brengen.",),
    },
    "es": {
        "intro": ("Estimado cliente, le remitimos la factura correspondiente a los siguientes conceptos:",
                  "Le agradecemos su confianza. Detallamos a continuación los servicios prestados:"),
        "pay": ("Rogamos abonen el importe de {amount} antes del {due} mediante transferencia bancaria.",
                "Importe a pagar: {amount}. Fecha límite de pago: {due}. Indique la referencia {id}.",),
        "pay_nodue": ("Indique el número de factura {id} en la transferencia.",),
        "thanks": ("Gracias por su confianza.", "Muchas gracias por su pedido."),
        "reverse_charge": ("Inversión del sujeto pasivo (art. 84 Ley 37/1992 del IVA).",
                           "Operación exenta de IVA (art. 25 Ley 37/1992)."),
        "greeting": ("Estimado cliente:",),
        "closing": ("Atentamente,", "Un cordial saludo,"),
        "late_fee": ("En caso de impago se aplicarán los intereses de demora previstos en la Ley 3/2004.",),
    },
    "it": {
        "intro": ("Gentile cliente, con la presente Le inviamo la fattura relativa alle seguenti "
                  "prestazioni:",
                  "Vi ringraziamo per l'ordine e Vi addebitiamo quanto segue:"),
        "pay": ("Si prega di effettuare il pagamento di {amount} entro il {due} tramite bonifico bancario.",
                "Importo da versare: {amount} entro il {due}, indicando il riferimento {id}.",),
        "pay_nodue": ("Indicare nella causale il numero fattura {id}.",),
        "thanks": ("Grazie per la fiducia accordata.", "Cordiali saluti."),
        "reverse_charge": ("Operazione in reverse charge ai sensi dell'art. 17 c. 6 DPR 633/72.",
                           "Operazione non imponibile art. 41 DL 331/93."),
        "greeting": ("Spettabile cliente,",),
        "closing": ("Distinti saluti,", "Cordiali saluti"),
        "late_fee": ("In caso di ritardato pagamento saranno applicati gli interessi di mora ai sensi del "
                     "D.Lgs. 231/2002.",),
    },
}

#: Payment terms: (template, day choices, end-of-month). The due date is computed from the chosen days, so the
#: printed term and the printed due date always agree.
TERMS: dict[str, tuple[tuple[str, tuple[int, ...], bool], ...]] = {
    "en": (("Net {days}", (10, 15, 30, 45, 60), False), ("Due on receipt", (0,), False),
           ("{days} days", (14, 30), False), ("Payment within {days} days", (7, 14, 30), False),
           ("2% 10, Net {days}", (30,), False), ("Net {days} days from invoice date", (30, 45), False)),
    "de": (("{days} Tage netto", (14, 30), False),
           ("Zahlbar innerhalb von {days} Tagen ohne Abzug", (7, 14, 30), False),
           ("Sofort fällig ohne Abzug", (0,), False), ("2 % Skonto innerhalb 10 Tagen, {days} Tage netto",
                                                       (30,), False),
           ("Zahlbar sofort nach Erhalt", (0,), False), ("netto {days} Tage", (10, 14, 21), False)),
    "fr": (("{days} jours net", (30, 45, 60), False), ("À réception de facture", (0,), False),
           ("{days} jours fin de mois", (30, 45), True), ("Paiement à {days} jours", (30, 60), False),
           ("Virement à {days} jours date de facture", (30,), False)),
    "nl": (("{days} dagen", (14, 30), False), ("Betaling binnen {days} dagen", (8, 14, 30), False),
           ("{days} dagen na factuurdatum", (14, 30), False), ("Direct", (0,), False)),
    "es": (("Transferencia bancaria a {days} días", (30, 60), False),
           ("{days} días fecha factura", (30, 60, 90), False),
           ("Contado", (0,), False), ("Transferencia {days} días", (30, 45), False)),
    "it": (("Bonifico bancario {days} gg d.f.", (30, 60, 90), False), ("Rimessa diretta", (0,), False),
           ("Bonifico a {days} giorni fine mese", (30, 60), True), ("RiBa {days} gg f.m.", (30, 60), True),
           ("Bonifico {days} gg data fattura", (30, 60), False)),
}

# ------------------------------------------------------------------------------------------------------------
# Units and the item catalogue
# ------------------------------------------------------------------------------------------------------------

UNITS: dict[str, dict[str, tuple[str, ...]]] = {
    "pc": {"en": ("pcs", "ea", "each", "pc", "units"), "de": ("Stk.", "St.", "Stück"),
           "fr": ("pce", "u.", "pièce", "unité"), "nl": ("st.", "stuks", "stk"),
           "es": ("ud.", "uds.", "unid."), "it": ("pz.", "pz", "n.")},
    "h": {"en": ("hrs", "h", "hours", "hr"), "de": ("Std.", "h", "Stunden"), "fr": ("h", "heure", "heures"),
          "nl": ("uur", "u"), "es": ("h", "horas"), "it": ("ore", "h")},
    "day": {"en": ("days", "day"), "de": ("Tage", "Tag", "PT"), "fr": ("jours", "j"), "nl": ("dagen", "dag"),
            "es": ("días",), "it": ("gg", "giorni")},
    "month": {"en": ("month", "mo"), "de": ("Monat", "Mon."), "fr": ("mois",), "nl": ("maand", "mnd"),
              "es": ("mes",), "it": ("mese",)},
    "kg": {lang: ("kg",) for lang in ("en", "de", "fr", "nl", "es", "it")},
    "l": {"en": ("l", "L", "ltr"), "de": ("l", "Ltr."), "fr": ("l", "L"), "nl": ("l", "ltr"), "es": ("l",),
          "it": ("l", "lt")},
    "m": {"en": ("m", "ft"), "de": ("m", "lfm"), "fr": ("m", "ml"), "nl": ("m", "mtr"), "es": ("m",),
          "it": ("m", "mt")},
    "m2": {"en": ("m²", "sq m"), "de": ("m²", "qm"), "fr": ("m²",), "nl": ("m²", "m2"), "es": ("m²", "m2"),
           "it": ("mq", "m²")},
    "flat": {"en": ("flat", "lump sum", "ls"), "de": ("pauschal", "psch.", "Pausch."),
             "fr": ("forfait", "ens."),
             "nl": ("post", "forfait"), "es": ("global", "ud."), "it": ("a corpo", "forfait")},
    "lic": {"en": ("licence", "user", "seat"), "de": ("Lizenz", "User"), "fr": ("licence",),
            "nl": ("licentie",),
            "es": ("licencia",), "it": ("licenza",)},
}

_LANG_ORDER = ("en", "de", "fr", "nl", "es", "it")


@dataclass(frozen=True)
class CatalogueItem:
    """One product or service in six languages, its unit kind and a plausible unit-price range."""

    unit_kind: str
    price_lo: float
    price_hi: float
    names: dict[str, str]


def _cat(unit_kind: str, lo: float, hi: float, *names: str) -> CatalogueItem:
    return CatalogueItem(unit_kind, lo, hi, dict(zip(_LANG_ORDER, names, strict=True)))


CATALOGUE: tuple[CatalogueItem, ...] = (
    _cat("h", 80, 180, "Consulting services", "Beratungsleistung", "Prestation de conseil",
         "Advieswerkzaamheden",
         "Servicios de consultoría", "Consulenza tecnica"),
    _cat("h", 70, 150, "Software development", "Softwareentwicklung", "Développement logiciel",
         "Softwareontwikkeling", "Desarrollo de software", "Sviluppo software"),
    _cat("h", 90, 160, "Project management", "Projektmanagement", "Gestion de projet", "Projectmanagement",
         "Gestión de proyecto", "Gestione progetto"),
    _cat("h", 55, 95, "On-site technician", "Techniker vor Ort", "Intervention technicien sur site",
         "Monteur op locatie", "Técnico in situ", "Intervento tecnico in loco"),
    _cat("h", 60, 120, "Graphic design", "Grafikdesign", "Conception graphique", "Grafisch ontwerp",
         "Diseño gráfico", "Progettazione grafica"),
    _cat("day", 600, 1400, "Workshop facilitation", "Workshop-Moderation", "Animation d'atelier",
         "Begeleiding workshop", "Moderación de taller", "Conduzione workshop"),
    _cat("day", 450, 1200, "Training course", "Schulung", "Formation", "Training", "Curso de formación",
         "Corso di formazione"),
    _cat("month", 19, 249, "Cloud hosting Business plan", "Cloud-Hosting Business-Tarif",
         "Hébergement cloud offre Business", "Cloud hosting Business-pakket",
         "Alojamiento cloud plan Business",
         "Hosting cloud piano Business"),
    _cat("month", 49, 490, "Maintenance contract", "Wartungsvertrag", "Contrat de maintenance",
         "Onderhoudscontract", "Contrato de mantenimiento", "Contratto di manutenzione"),
    _cat("month", 450, 3200, "Office rent", "Büromiete", "Loyer bureau", "Huur kantoorruimte",
         "Alquiler de oficina", "Canone locazione ufficio"),
    _cat("lic", 49, 890, "Software licence (annual)", "Softwarelizenz (jährlich)",
         "Licence logicielle annuelle",
         "Softwarelicentie (jaarlijks)", "Licencia de software anual", "Licenza software annuale"),
    _cat("pc", 649, 1899, "Laptop 14\" 16 GB RAM 512 GB SSD", "Notebook 14\" 16 GB RAM 512 GB SSD",
         "Ordinateur portable 14\" 16 Go 512 Go SSD", "Laptop 14 inch 16 GB 512 GB SSD",
         "Portátil 14\" 16 GB RAM 512 GB SSD", "Notebook 14\" 16 GB RAM 512 GB SSD"),
    _cat("pc", 189, 529, "27\" monitor", "Monitor 27 Zoll", "Écran 27 pouces", "Monitor 27 inch",
         "Monitor 27\"",
         "Monitor 27 pollici"),
    _cat("pc", 24, 89, "Wireless keyboard", "Funktastatur", "Clavier sans fil", "Draadloos toetsenbord",
         "Teclado inalámbrico", "Tastiera wireless"),
    _cat("pc", 89, 279, "USB-C docking station", "USB-C Dockingstation", "Station d'accueil USB-C",
         "USB-C dockingstation", "Base de conexión USB-C", "Docking station USB-C"),
    _cat("pc", 179, 690, "Ergonomic office chair", "Bürostuhl ergonomisch", "Fauteuil de bureau ergonomique",
         "Ergonomische bureaustoel", "Silla de oficina ergonómica", "Sedia da ufficio ergonomica"),
    _cat("pc", 39, 149, "Toner cartridge black", "Tonerkartusche schwarz", "Cartouche de toner noir",
         "Tonercartridge zwart", "Cartucho de tóner negro", "Cartuccia toner nero"),
    _cat("pc", 3.49, 7.99, "Copy paper A4 80 g (500 sheets)", "Kopierpapier A4 80 g (500 Blatt)",
         "Papier A4 80 g (ramette 500 f.)", "Kopieerpapier A4 80 g (500 vel)", "Papel A4 80 g (500 hojas)",
         "Carta A4 80 g (risma 500 fogli)"),
    _cat("pc", 2.9, 12.5, "Ballpoint pens blue (pack of 10)", "Kugelschreiber blau (10er-Pack)",
         "Stylos bille bleus (lot de 10)", "Balpennen blauw (10 stuks)", "Bolígrafos azules (pack 10)",
         "Penne a sfera blu (conf. 10)"),
    _cat("kg", 14, 32, "Coffee beans", "Kaffeebohnen", "Café en grains", "Koffiebonen", "Café en grano",
         "Caffè in grani"),
    _cat("l", 6, 14, "Engine oil 5W-30", "Motoröl 5W-30", "Huile moteur 5W-30", "Motorolie 5W-30",
         "Aceite de motor 5W-30", "Olio motore 5W-30"),
    _cat("m", 0.8, 2.9, "Network cable Cat6", "Netzwerkkabel Cat6", "Câble réseau Cat6", "Netwerkkabel Cat6",
         "Cable de red Cat6", "Cavo di rete Cat6"),
    _cat("m2", 18, 65, "Floor tiles 60x60", "Bodenfliesen 60x60", "Carrelage sol 60x60", "Vloertegels 60x60",
         "Baldosas 60x60", "Piastrelle 60x60"),
    _cat("m2", 1.5, 4.5, "Window cleaning", "Fensterreinigung", "Nettoyage des vitres", "Glasbewassing",
         "Limpieza de cristales", "Pulizia vetri"),
    _cat("flat", 150, 900, "Installation and setup", "Installation und Einrichtung",
         "Installation et mise en service", "Installatie en configuratie", "Instalación y puesta en marcha",
         "Installazione e configurazione"),
    _cat("flat", 4.9, 49, "Shipping and handling", "Versandkosten", "Frais de port", "Verzendkosten",
         "Gastos de envío", "Spese di spedizione"),
    _cat("flat", 35, 380, "Travel expenses", "Reisekosten", "Frais de déplacement", "Reiskosten",
         "Gastos de desplazamiento", "Spese di trasferta"),
    _cat("pc", 8, 65, "Spare part pump seal", "Ersatzteil Pumpendichtung", "Pièce détachée joint de pompe",
         "Onderdeel pompafdichting", "Recambio junta de bomba", "Ricambio guarnizione pompa"),
    _cat("h", 45, 95, "Bookkeeping services", "Buchhaltung", "Tenue de comptabilité", "Boekhouding",
         "Servicios de contabilidad", "Servizi di contabilità"),
    _cat("h", 40, 80, "Translation services", "Übersetzung", "Traduction", "Vertaalwerk",
         "Servicios de traducción", "Servizio di traduzione"),
    _cat("pc", 9.5, 28, "Catering lunch package", "Catering Mittagessen", "Plateau-repas", "Lunchpakket",
         "Menú catering", "Pranzo catering"),
    _cat("month", 39, 129, "Internet fibre 1 Gbit/s", "Glasfaser-Internet 1 Gbit/s", "Accès fibre 1 Gbit/s",
         "Glasvezel internet 1 Gbit/s", "Fibra óptica 1 Gbps", "Fibra ottica 1 Gbit/s"),
    _cat("pc", 29, 89, "LED panel 60x60 40W", "LED-Panel 60x60 40W", "Panneau LED 60x60 40W",
         "LED-paneel 60x60 40W", "Panel LED 60x60 40W", "Pannello LED 60x60 40W"),
    _cat("h", 48, 85, "Electrician labour", "Elektroinstallation Arbeitszeit", "Main d'œuvre électricien",
         "Arbeidsloon elektricien", "Mano de obra electricista", "Manodopera elettricista"),
    _cat("pc", 59, 149, "Safety shoes S3", "Sicherheitsschuhe S3", "Chaussures de sécurité S3",
         "Werkschoenen S3",
         "Calzado de seguridad S3", "Scarpe antinfortunistiche S3"),
    _cat("kg", 3.2, 9.8, "Cleaning agent concentrate", "Reinigungskonzentrat", "Détergent concentré",
         "Reinigingsconcentraat", "Detergente concentrado", "Detergente concentrato"),
    _cat("pc", 5.9, 12.9, "Cement 25 kg bag", "Zement 25-kg-Sack", "Sac de ciment 25 kg", "Zak cement 25 kg",
         "Saco de cemento 25 kg", "Sacco di cemento 25 kg"),
    _cat("day", 180, 420, "Mini excavator rental", "Minibagger Miete", "Location mini-pelle",
         "Huur minigraver",
         "Alquiler de miniexcavadora", "Noleggio miniescavatore"),
    _cat("pc", 9.9, 39, "Domain renewal (1 year)", "Domainverlängerung (1 Jahr)",
         "Renouvellement nom de domaine (1 an)", "Domeinnaam verlenging (1 jaar)",
         "Renovación de dominio (1 año)", "Rinnovo dominio (1 anno)"),
    _cat("h", 150, 350, "Legal advice", "Rechtsberatung", "Conseil juridique", "Juridisch advies",
         "Asesoramiento jurídico", "Consulenza legale"),
    _cat("pc", 0.35, 2.4, "Hex bolt M8x40 zinc plated", "Sechskantschraube M8x40 verzinkt",
         "Vis tête hexagonale M8x40 zinguée", "Zeskantbout M8x40 verzinkt",
         "Tornillo hexagonal M8x40 zincado",
         "Vite testa esagonale M8x40 zincata"),
    _cat("pc", 1190, 4800, "Industrial label printer", "Industrie-Etikettendrucker",
         "Imprimante d'étiquettes",
         "Industriële labelprinter", "Impresora de etiquetas industrial", "Stampante etichette industriale"),
)

#: Second description lines. {period}, {ref}, {sn}, {date}, {project} are filled by the generator.
DETAILS: dict[str, tuple[str, ...]] = {
    "en": ("Period: {period}", "as per quote {ref}", "Serial no. {sn}", "incl. configuration and testing",
           "delivered {date}", "Project: {project}", "including travel time", "colour: anthracite"),
    "de": ("Zeitraum: {period}", "gemäß Angebot {ref}", "Seriennummer {sn}", "inkl. Konfiguration und Test",
           "geliefert am {date}", "Projekt: {project}", "inkl. Anfahrt", "Farbe: anthrazit"),
    "fr": ("Période : {period}", "selon devis {ref}", "N° de série {sn}", "configuration et tests inclus",
           "livré le {date}", "Projet : {project}", "déplacement inclus", "coloris : anthracite"),
    "nl": ("Periode: {period}", "volgens offerte {ref}", "Serienummer {sn}", "incl. configuratie en test",
           "geleverd op {date}", "Project: {project}", "inclusief voorrijkosten", "kleur: antraciet"),
    "es": ("Periodo: {period}", "según presupuesto {ref}", "Nº de serie {sn}",
           "incluye configuración y pruebas",
           "entregado el {date}", "Proyecto: {project}", "desplazamiento incluido", "color: antracita"),
    "it": ("Periodo: {period}", "come da preventivo {ref}", "Matricola {sn}",
           "configurazione e collaudo inclusi",
           "consegnato il {date}", "Progetto: {project}", "trasferta inclusa", "colore: antracite"),
}

# ------------------------------------------------------------------------------------------------------------
# People, companies, places, banks
# ------------------------------------------------------------------------------------------------------------

SURNAMES: dict[str, tuple[str, ...]] = {
    "en": ("Smith", "Johnson", "Carter", "Walker", "Bennett", "Hughes", "Turner", "Parker", "Collins",
           "Morgan", "Reed", "Foster", "Hayes", "Price", "Brooks", "Whitaker"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann",
           "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Krüger"),
    "fr": ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefèvre", "Girard", "Bonnet", "Mercier",
           "Faure", "Rousseau", "Fontaine", "Chevalier", "Gauthier"),
    "nl": ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "Mulder",
           "de Boer", "van Dijk", "Vermeulen"),
    "es": ("García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
           "Martín", "Jiménez", "Ruiz", "Navarro", "Ortega"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
           "Greco", "Bruno", "Gallo", "Conti", "De Luca"),
}
SURNAMES_LOCALE: dict[str, tuple[str, ...]] = {
    "de_AT": ("Huber", "Gruber", "Pichler", "Steiner", "Moser", "Mayer", "Hofer", "Leitner", "Berger",
              "Fuchs"),
    "de_CH": ("Meier", "Brunner", "Keller", "Frei", "Baumann", "Zimmermann", "Gerber", "Widmer", "Graf",
              "Steiner"),
    "nl_BE": ("Peeters", "Janssens", "Maes", "Jacobs", "Claes", "Willems", "Goossens", "Wouters", "De Smet",
              "Vermeersch"),
}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("James", "Emily", "Michael", "Sarah", "David", "Laura", "Robert", "Olivia", "Daniel", "Hannah"),
    "de": ("Thomas", "Anna", "Michael", "Julia", "Stefan", "Katrin", "Andreas", "Sabine", "Markus", "Lena"),
    "fr": ("Pierre", "Marie", "Nicolas", "Sophie", "Julien", "Camille", "Thomas", "Claire", "Antoine",
           "Élodie"),
    "nl": ("Jan", "Sanne", "Pieter", "Lotte", "Bram", "Eva", "Thijs", "Femke", "Joost", "Anouk"),
    "es": ("Javier", "Lucía", "Carlos", "María", "Pablo", "Elena", "Sergio", "Laura", "Miguel", "Carmen"),
    "it": ("Marco", "Giulia", "Luca", "Francesca", "Andrea", "Chiara", "Matteo", "Sara", "Davide", "Elena"),
}

BUSINESS_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("Consulting", "Logistics", "Engineering", "Supplies", "Digital", "Print & Design", "Facilities",
           "Solutions", "Electric", "Systems", "Software", "Trading", "Building Services", "Office Supply"),
    "de": ("Haustechnik", "Elektrotechnik", "Logistik", "Bürobedarf", "IT-Service", "Beratung", "Metallbau",
           "Druckerei", "Gebäudereinigung", "Software", "Handel", "Bausysteme", "Medientechnik",
           "Maschinenbau"),
    "fr": ("Conseil", "Logistique", "Électricité", "Bureautique", "Informatique", "Services", "Bâtiment",
           "Imprimerie", "Nettoyage", "Ingénierie", "Distribution", "Solutions"),
    "nl": ("Advies", "Logistiek", "Installatietechniek", "Kantoorartikelen", "ICT", "Bouw", "Drukkerij",
           "Schoonmaak", "Techniek", "Groothandel", "Software"),
    "es": ("Consultoría", "Logística", "Instalaciones", "Suministros", "Informática", "Servicios",
           "Construcciones", "Artes Gráficas", "Limpiezas", "Ingeniería", "Distribuciones"),
    "it": ("Consulenze", "Logistica", "Impianti", "Forniture", "Informatica", "Servizi", "Costruzioni",
           "Tipografia", "Pulizie", "Ingegneria", "Distribuzione"),
}
#: Word order of "<surname> <business word>" in company names; Romance languages put the activity first.
BUSINESS_WORD_FIRST: dict[str, bool] = {"en": False, "de": False, "nl": False, "fr": True, "es": True,
                                        "it": True}
FAMILY_SUFFIX: dict[str, tuple[str, ...]] = {
    "en": ("& Sons", "& Partners"), "de": ("& Söhne", "& Partner"), "fr": ("& Fils", "et Associés"),
    "nl": ("& Zonen", "& Partners"), "es": ("e Hijos", "y Asociados"), "it": ("& Figli", "e Associati"),
}
BRAND_PREFIX: tuple[str, ...] = ("Nova", "Alpha", "Blue", "Tera", "Vita", "Omni", "Astra", "Prime", "Nord",
                                "Sol", "Terra", "Lumen", "Quant", "Vert", "Mar", "Iber", "Alto", "Rhein",
                                "Delta", "Kron")
BRAND_SUFFIX: tuple[str, ...] = ("tec", "line", "soft", "med", "bau", "nova", "wave", "data", "logic", "form",
                                "print", "plan", "gate", "point", "works", "lux")

LEGAL_FORMS: dict[str, tuple[tuple[str, float], ...]] = {
    "US": (("Inc.", 4), ("LLC", 4), ("Corp.", 1.5), ("Co.", 0.7), ("Inc", 0.7), ("LLP", 0.5)),
    "GB": (("Ltd", 5), ("Limited", 3), ("Ltd.", 1), ("LLP", 0.7), ("plc", 0.5)),
    "DE": (("GmbH", 8), ("GmbH & Co. KG", 2), ("AG", 1), ("e.K.", 1), ("UG (haftungsbeschränkt)", 1),
           ("KG", 0.7), ("OHG", 0.4)),
    "AT": (("GmbH", 8), ("GesmbH", 1.5), ("AG", 1), ("KG", 0.8), ("e.U.", 0.8)),
    "CH": (("AG", 6), ("GmbH", 5), ("SA", 0.5)),
    "FR": (("SARL", 5), ("SAS", 5), ("SA", 1.5), ("EURL", 1), ("SASU", 1)),
    "NL": (("B.V.", 8), ("BV", 3), ("N.V.", 0.7), ("V.O.F.", 1)),
    "BE": (("BV", 6), ("NV", 3), ("BVBA", 1), ("CommV", 0.5)),
    "ES": (("S.L.", 8), ("S.A.", 2), ("S.L.U.", 1.5), ("SL", 1)),
    "IT": (("S.r.l.", 8), ("S.p.A.", 2), ("S.n.c.", 1), ("S.a.s.", 1), ("Srl", 1.5)),
}

#: (postcode, city[, region]) per country; real cities, plausible postcodes.
CITIES: dict[str, tuple[tuple[str, ...], ...]] = {
    "US": (("62704", "Springfield", "IL"), ("78701", "Austin", "TX"), ("80202", "Denver", "CO"),
           ("97205", "Portland", "OR"), ("43215", "Columbus", "OH"), ("27601", "Raleigh", "NC"),
           ("98101", "Seattle", "WA"), ("02110", "Boston", "MA"), ("85004", "Phoenix", "AZ"),
           ("53703", "Madison", "WI"), ("37203", "Nashville", "TN"), ("95814", "Sacramento", "CA"),
           ("10001", "New York", "NY"), ("60606", "Chicago", "IL")),
    "GB": (("M1 2AB", "Manchester"), ("LS1 4DY", "Leeds"), ("BS1 6QS", "Bristol"), ("B3 2HJ", "Birmingham"),
           ("EC2A 4NE", "London"), ("SE1 9SG", "London"), ("G2 1DY", "Glasgow"), ("CF10 1EP", "Cardiff"),
           ("NG1 5FW", "Nottingham"), ("RG1 3EU", "Reading"), ("EH2 4AD", "Edinburgh"),
           ("BN1 1AE", "Brighton")),
    "DE": (("10115", "Berlin"), ("20095", "Hamburg"), ("80331", "München"), ("50667", "Köln"),
           ("60311", "Frankfurt am Main"), ("70173", "Stuttgart"), ("40213", "Düsseldorf"),
           ("04109", "Leipzig"), ("28195", "Bremen"), ("90402", "Nürnberg"), ("01067", "Dresden"),
           ("30159", "Hannover"), ("68159", "Mannheim"), ("79098", "Freiburg im Breisgau")),
    "AT": (("1010", "Wien"), ("1030", "Wien"), ("8010", "Graz"), ("4020", "Linz"), ("5020", "Salzburg"),
           ("6020", "Innsbruck"), ("9020", "Klagenfurt"), ("3100", "St. Pölten"), ("6900", "Bregenz")),
    "CH": (("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel"), ("6003", "Luzern"),
           ("9000", "St. Gallen"), ("8400", "Winterthur"), ("5000", "Aarau"), ("6300", "Zug"),
           ("8050", "Zürich")),
    "FR": (("75008", "Paris"), ("75011", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"),
           ("31000", "Toulouse"), ("33000", "Bordeaux"), ("59000", "Lille"), ("44000", "Nantes"),
           ("67000", "Strasbourg"), ("34000", "Montpellier"), ("35000", "Rennes"), ("06000", "Nice")),
    "NL": (("1015 CJ", "Amsterdam"), ("3012 CN", "Rotterdam"), ("2511 BT", "Den Haag"),
           ("3511 LK", "Utrecht"), ("5611 AZ", "Eindhoven"), ("9711 LM", "Groningen"),
           ("6811 AA", "Arnhem"), ("2011 HP", "Haarlem"), ("4811 XJ", "Breda"), ("8011 PK", "Zwolle")),
    "BE": (("2000", "Antwerpen"), ("9000", "Gent"), ("1000", "Brussel"), ("3000", "Leuven"),
           ("8000", "Brugge"), ("2800", "Mechelen"), ("3500", "Hasselt"), ("8500", "Kortrijk")),
    "ES": (("28013", "Madrid"), ("08001", "Barcelona"), ("46002", "Valencia"), ("41001", "Sevilla"),
           ("50001", "Zaragoza"), ("29005", "Málaga"), ("48001", "Bilbao"), ("03001", "Alicante"),
           ("15001", "A Coruña"), ("07001", "Palma")),
    "IT": (("20121", "Milano", "MI"), ("00184", "Roma", "RM"), ("10121", "Torino", "TO"),
           ("40121", "Bologna", "BO"), ("50123", "Firenze", "FI"), ("80133", "Napoli", "NA"),
           ("35122", "Padova", "PD"), ("37121", "Verona", "VR"), ("16121", "Genova", "GE"),
           ("70121", "Bari", "BA")),
}

STREETS: dict[str, tuple[str, ...]] = {
    "US": ("Main St", "Oak Avenue", "Maple Drive", "Industrial Pkwy", "Commerce Blvd", "Elm Street",
           "Park Ave",
           "Lakeview Rd", "Washington Blvd", "Market Street", "Cedar Lane", "Technology Dr"),
    "GB": ("High Street", "Station Road", "Church Lane", "King Street", "Victoria Road", "Mill Lane",
           "Queen Street", "Park Road", "London Road", "Bridge Street"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Gartenweg", "Schillerstraße", "Goethestraße",
           "Am Markt", "Lindenallee", "Friedrichstraße", "Kirchgasse", "Mühlenweg", "Siemensstraße"),
    "AT": ("Mariahilfer Straße", "Landstraßer Hauptstraße", "Herrengasse", "Bahnhofplatz", "Linzer Straße",
           "Wiener Straße", "Museumstraße", "Gewerbepark"),
    "CH": ("Bahnhofstrasse", "Seestrasse", "Dorfstrasse", "Industriestrasse", "Hauptgasse", "Marktgasse",
           "Zürcherstrasse", "Bernstrasse"),
    "FR": ("rue de la République", "avenue Jean Jaurès", "boulevard Victor Hugo", "rue du Commerce",
           "rue des Lilas", "place de la Gare", "allée des Tilleuls", "rue Pasteur", "chemin des Vignes",
           "rue Nationale"),
    "NL": ("Keizersgracht", "Hoofdstraat", "Stationsweg", "Kerkstraat", "Industrieweg", "Dorpsstraat",
           "Marktplein", "Nieuwe Binnenweg", "Laan van Nieuw Oost-Indië", "Havenstraat"),
    "BE": ("Meir", "Veldstraat", "Kerkstraat", "Stationsstraat", "Nieuwstraat", "Bondgenotenlaan",
           "Industrielaan",
           "Kortrijksesteenweg"),
    "ES": ("Calle Mayor", "Avenida de la Constitución", "Calle Gran Vía", "Paseo de Gracia",
           "Calle del Carmen",
           "Calle San Vicente", "Avenida de América", "Calle Alcalá"),
    "IT": ("Via Roma", "Corso Vittorio Emanuele II", "Via Garibaldi", "Via Dante Alighieri",
           "Piazza della Repubblica", "Viale dell'Industria", "Via Giuseppe Verdi", "Via Mazzini"),
}

#: The country's name as printed in each language (for cross-border customers and vendor footers).
COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "en": {"US": "USA", "GB": "United Kingdom", "DE": "Germany", "AT": "Austria", "CH": "Switzerland",
           "FR": "France", "NL": "Netherlands", "BE": "Belgium", "ES": "Spain", "IT": "Italy"},
    "de": {"US": "USA", "GB": "Vereinigtes Königreich", "DE": "Deutschland", "AT": "Österreich",
           "CH": "Schweiz",
           "FR": "Frankreich", "NL": "Niederlande", "BE": "Belgien", "ES": "Spanien", "IT": "Italien"},
    "fr": {"US": "États-Unis", "GB": "Royaume-Uni", "DE": "Allemagne", "AT": "Autriche", "CH": "Suisse",
           "FR": "France", "NL": "Pays-Bas", "BE": "Belgique", "ES": "Espagne", "IT": "Italie"},
    "nl": {"US": "Verenigde Staten", "GB": "Verenigd Koninkrijk", "DE": "Duitsland", "AT": "Oostenrijk",
           "CH": "Zwitserland", "FR": "Frankrijk", "NL": "Nederland", "BE": "België", "ES": "Spanje",
           "IT": "Italië"},
    "es": {"US": "EE. UU.", "GB": "Reino Unido", "DE": "Alemania", "AT": "Austria", "CH": "Suiza",
           "FR": "Francia", "NL": "Países Bajos", "BE": "Bélgica", "ES": "España", "IT": "Italia"},
    "it": {"US": "USA", "GB": "Regno Unito", "DE": "Germania", "AT": "Austria", "CH": "Svizzera",
           "FR": "Francia", "NL": "Paesi Bassi", "BE": "Belgio", "ES": "Spagna", "IT": "Italia"},
}

#: Cross-border neighbours a vendor plausibly invoices (intra-EU B2B gives a reverse-charge invoice).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "US": ("US",), "GB": ("DE", "FR", "NL"), "DE": ("AT", "NL", "FR", "CH", "BE"), "AT": ("DE", "IT", "CH"),
    "CH": ("DE", "AT", "FR", "IT"), "FR": ("BE", "DE", "ES", "IT"), "NL": ("BE", "DE"),
    "BE": ("NL", "FR", "DE"), "ES": ("FR", "IT"), "IT": ("FR", "DE", "AT", "ES"),
}


@dataclass(frozen=True)
class Bank:
    """A bank as it appears in a payment block; ``code`` is the national bank code used inside the IBAN."""

    name: str
    bic: str
    code: str


BANKS: dict[str, tuple[Bank, ...]] = {
    "US": (Bank("JPMorgan Chase Bank, N.A.", "CHASUS33", "021000021"),
           Bank("Bank of America", "BOFAUS3N", "026009593"),
           Bank("Wells Fargo Bank", "WFBIUS6S", "121000248")),
    "GB": (Bank("Barclays Bank", "BARCGB22", "BARC20"), Bank("NatWest", "NWBKGB2L", "NWBK60"),
           Bank("Lloyds Bank", "LOYDGB2L", "LOYD30"), Bank("HSBC UK", "HBUKGB4B", "HBUK40")),
    "DE": (Bank("Deutsche Bank", "DEUTDEFFXXX", "50070010"), Bank("Commerzbank", "COBADEFFXXX", "50040000"),
           Bank("Sparkasse KölnBonn", "COLSDE33XXX", "37050198"),
           Bank("Berliner Sparkasse", "BELADEBEXXX", "10050000"), Bank("GLS Bank", "GENODEM1GLS", "43060967"),
           Bank("Stadtsparkasse München", "SSKMDEMMXXX", "70150000")),
    "AT": (Bank("Erste Bank", "GIBAATWWXXX", "20111"), Bank("Raiffeisenlandesbank", "RLNWATWW", "32000"),
           Bank("UniCredit Bank Austria", "BKAUATWW", "12000"), Bank("BAWAG P.S.K.", "BAWAATWW", "14000")),
    "CH": (Bank("UBS Switzerland AG", "UBSWCHZH80A", "00230"), Bank("PostFinance AG", "POFICHBEXXX", "09000"),
           Bank("Zürcher Kantonalbank", "ZKBKCHZZ80A", "00700"),
           Bank("Raiffeisen Schweiz", "RAIFCH22", "80808")),
    "FR": (Bank("BNP Paribas", "BNPAFRPPXXX", "30004"), Bank("Société Générale", "SOGEFRPP", "30003"),
           Bank("Crédit Agricole", "AGRIFRPP882", "18206"), Bank("Crédit Mutuel", "CMCIFR2A", "10278"),
           Bank("LCL", "CRLYFRPP", "30002")),
    "NL": (Bank("ING Bank", "INGBNL2A", "INGB"), Bank("ABN AMRO", "ABNANL2A", "ABNA"),
           Bank("Rabobank", "RABONL2U", "RABO"), Bank("Triodos Bank", "TRIONL2U", "TRIO")),
    "BE": (Bank("BNP Paribas Fortis", "GEBABEBB", "001"), Bank("KBC Bank", "KREDBEBB", "734"),
           Bank("Belfius", "GKCCBEBB", "068"), Bank("ING België", "BBRUBEBB", "310")),
    "ES": (Bank("Banco Santander", "BSCHESMMXXX", "0049"), Bank("BBVA", "BBVAESMM", "0182"),
           Bank("CaixaBank", "CAIXESBBXXX", "2100"), Bank("Banco Sabadell", "BSABESBB", "0081")),
    "IT": (Bank("Intesa Sanpaolo", "BCITITMM", "03069"), Bank("UniCredit", "UNCRITMM", "02008"),
           Bank("Banco BPM", "BAPPIT21", "05034"), Bank("BPER Banca", "BPMOIT22", "05387")),
}

#: Phone number shapes ('#' is a random digit).
PHONES: dict[str, tuple[str, ...]] = {
    "US": ("(###) 555-0###", "###-555-0###", "+1 ### 555 0###"),
    "GB": ("0161 496 0###", "+44 20 7946 0###", "0117 496 0###"),
    "DE": ("+49 30 ####-###", "030 #######", "+49 89 ### ###-##", "0221 ### ## ##"),
    "AT": ("+43 1 ### ## ##", "01 ### ## ##", "+43 316 ######"),
    "CH": ("+41 44 ### ## ##", "044 ### ## ##", "+41 31 ### ## ##"),
    "FR": ("01 ## ## ## ##", "+33 4 ## ## ## ##", "04 ## ## ## ##"),
    "NL": ("020 ### ####", "+31 10 ### ####", "030-#######"),
    "BE": ("03 ### ## ##", "+32 9 ### ## ##", "02/### ## ##"),
    "ES": ("91# ### ###", "+34 93# ### ###", "96# ## ## ##"),
    "IT": ("02 #######", "+39 06 #### ####", "011 ### ####"),
}

TLD: dict[str, str] = {"US": "com", "GB": "co.uk", "DE": "de", "AT": "at", "CH": "ch", "FR": "fr", "NL": "nl",
                       "BE": "be", "ES": "es", "IT": "it"}

# Label keys added on top of ``LABELS``: a total-tax line (used with a VAT summary table or several rates) and
# the word joining a tax line to its base ("MwSt. 19 % auf 1.000,00").
# ``subtotal_gross`` labels the SubTotal when a discount follows it: words such as "Base imponible" or
# "Imponibile" mean the taxable base *after* the discount, so they must not label the pre-discount sum.
_EXTRA_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {"tax_total": ("Total Tax", "Tax Total", "Total tax"), "on_base": ("on",),
           "subtotal_gross": ("Subtotal", "Sub-total", "Gross amount", "Total before discount")},
    "de": {"tax_total": ("Summe MwSt.", "MwSt. gesamt", "Umsatzsteuer gesamt", "USt. gesamt"),
           "on_base": ("auf",),
           "subtotal_gross": ("Zwischensumme", "Summe Positionen", "Warenwert", "Gesamt netto vor Rabatt")},
    "fr": {"tax_total": ("Total TVA", "Montant TVA"), "on_base": ("sur",),
           "subtotal_gross": ("Total HT brut", "Sous-total HT", "Montant brut HT")},
    "nl": {"tax_total": ("Totaal btw", "BTW totaal"), "on_base": ("over",),
           "subtotal_gross": ("Subtotaal", "Totaal artikelen", "Bruto bedrag")},
    "es": {"tax_total": ("Total IVA", "Cuota IVA", "Total cuota IVA"), "on_base": ("sobre",),
           "subtotal_gross": ("Subtotal", "Importe bruto", "Suma")},
    "it": {"tax_total": ("Totale IVA", "Totale imposta"), "on_base": ("su",),
           "subtotal_gross": ("Totale merce", "Subtotale", "Importo lordo")},
}
for _lang, _extra in _EXTRA_LABELS.items():
    LABELS[_lang].update(_extra)
LOCALE_LABELS["en_GB"]["tax_total"] = ("Total VAT", "VAT total")
LOCALE_LABELS["de_AT"]["tax_total"] = ("USt. gesamt", "Summe USt.")
LOCALE_LABELS["de_CH"]["tax_total"] = ("Total MWST", "MWST total")
LOCALE_LABELS["de_CH"]["subtotal_gross"] = ("Zwischentotal", "Total Positionen", "Warenwert")
