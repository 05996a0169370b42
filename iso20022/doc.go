// Package iso20022 writes and reads the ISO 20022 bank files of dost's
// payroll: the pain.001.001.09 credit-transfer initiation that pays the
// beneficiaries, the pain.002.001.10 payment status report and the
// camt.054.001.08 debit/credit notification that the bank sends back.
//
// Everything streams. A [Writer] holds one payment at a time, so exporting a
// cycle of a million payments takes as little memory as exporting one; a
// [StatusReportReader] or [NotificationReader] decodes one transaction at a
// time. The package imports only the standard library and
// the root package dost (Money, Date, IBAN checks); it knows nothing of
// cycles or awards: callers pass plain [Payment] values and receive plain
// [TransactionStatus] and [EntryTransaction] values.
//
// # Decisions
//
//   - Money is [dost.Money] (int64 qəpik) throughout; amounts are written
//     with exactly two decimals and read back only when they have at most two
//     ("1500", "1500.5", "1500.00"), never through a float.
//   - Totals come first in pain.001 (NbOfTxs and CtrlSum in GrpHdr and in
//     every PmtInf precede the transactions). The caller declares them up
//     front from the payroll cycle's control sums, and the Writer checks every
//     payment against them as it goes and once more at the end of each
//     payment information block and at Close. On any mismatch the Writer
//     fails and never writes the closing tags, so a file whose totals do not
//     add up is never a well-formed document a bank could accept.
//   - One file per paying account (the debtor: the agency's account at its
//     bank); within it one payment information block (PmtInf) per programme
//     and requested execution date is the intended use, so that the bank's
//     totals and a status report's PmtInf-level status line up with a
//     programme. The Writer accepts any grouping the caller chooses.
//   - Text (names, remittance information) is written as UTF-8: Azerbaijani
//     Latin (ə ş ğ ı ö ü ç), Cyrillic and any other character XML 1.0 allows
//     is kept as it is and round-trips. Tabs and line breaks become spaces,
//     runs of spaces collapse, the text is trimmed. Control characters,
//     U+FFFE/U+FFFF and invalid UTF-8 cannot be carried by XML and are
//     rejected with an EINVALID error naming the payment and the field; they
//     are never silently replaced. Names longer than the schema's 140
//     characters are cut at 140 characters (the IBAN, not the name, decides
//     where money goes); remittance text longer than 140 characters is an
//     error, as the caller composes it.
//   - Identifiers (MsgId, PmtInfId, EndToEndId) are 1–35 characters of the
//     SWIFT Latin set without spaces (A–Z a–z 0–9 / - ? : ( ) . , ' +), so
//     that every bank and every status report returns them byte for byte.
//   - Charges are borne by the debtor (ChrgBr DEBT): a beneficiary's
//     allowance is paid in full.
//   - The readers tokenize with the package's own strict XML 1.0 scanner
//     rather than encoding/xml's Decoder, which was too slow for a million
//     entries (about 15 MB/s of CPU on the bank files; the scanner is 3–4
//     times faster and allocates nothing per token). It accepts a subset
//     (UTF-8 only, no DOCTYPE, ASCII element names) and a fuzz test checks
//     that whatever it accepts, encoding/xml accepts with the same tokens.
//   - The readers return every problem with the file as a [*FileError] with
//     the line and element; it wraps an EINVALID [*dost.Error]. An unknown
//     status code is an error, never a guess.
package iso20022
