// Personal data recognised by context (a label before the value) or by a national identifier's
// own structure and check digits: IP addresses, phone numbers, dates of birth, passport and
// driving licence numbers, and national identity, tax and social security numbers.
import type { ExampleRng } from '../lib/example-rng.js';
import type { DetectorDefinition } from '../lib/definition.js';
import { labelled, plain, scan } from '../lib/definition.js';
import {
  aadhaarValid,
  abaValid,
  abnValid,
  belgianNationalNumberValid,
  birthDateValid,
  bsnValid,
  chinaIdValid,
  cnpjValid,
  codiceFiscaleValid,
  cpfValid,
  curpValid,
  fodselsnummerValid,
  hetuValid,
  hkidValid,
  luhnValid,
  myNumberValid,
  nirValid,
  nricValid,
  peselValid,
  personnummerValid,
  phoneValid,
  publicIpValid,
  rrnValid,
  rutValid,
  sinValid,
  spanishIdValid,
  steuerIdValid,
  tfnValid,
} from '../lib/validators.js';

const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Completes `prefix` with the first check characters (from `checks`) that make it valid. */
function complete(prefix: string, checks: string, valid: (v: string) => boolean, width = 1): string {
  const chars = Array.from(checks);
  const options = width === 1 ? chars : chars.flatMap((a) => chars.map((b) => a + b));
  for (const c of options) if (valid(prefix + c)) return prefix + c;
  return prefix + (options[0] ?? '');
}
/** Draws until `make` gives a valid value (deterministic for a seed; a valid one comes within a few hundred tries). */
function draw(rng: ExampleRng, make: (r: ExampleRng) => string, valid: (v: string) => boolean): string {
  for (let i = 0; i < 2000; i++) {
    const v = make(rng);
    if (valid(v)) return v;
  }
  return make(rng);
}
const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const birth = (r: ExampleRng): string =>
  `${pad(1 + r.int(28), 2)}${pad(1 + r.int(12), 2)}${pad(r.int(100), 2)}`;

const IPV4 =
  '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}';
const IPV6 = '[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}';
const IP = `(?:${IPV4}|${IPV6})`;

export const personalDetectors: readonly DetectorDefinition[] = [
  labelled({
    id: 'ip-address',
    description:
      'Public IPv4 and IPv6 addresses under a label that says they identify a client (ip, client_ip, remote_addr, X-Forwarded-For, X-Real-IP, …); private, loopback and documentation ranges are left alone.',
    labels: [
      'ip',
      'ipaddress',
      'ip_address',
      'remote_addr',
      'remote-addr',
      'remoteaddr',
      'client_addr',
      'clientip',
      'remoteip',
      'userip',
      'sourceip',
      'x-forwarded-for',
      'x-real-ip',
      'cf-connecting-ip',
      'true-client-ip',
    ],
    value: `${IP}(?:[ \\t]{0,2},[ \\t]{0,2}${IP}){0,8}`,
    valueMax: 9 * 43,
    charset: /[0-9A-Fa-f.:, \t"'=#_-]/,
    validate: (v) => v.split(/[ \t]*,[ \t]*/).some(publicIpValid),
    exampleLabel: 'client_ip',
    // 81–99: public unicast (100.64.0.0/10 is shared address space, which is left alone).
    example: (r) => `${81 + r.int(19)}.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}`,
    negatives: [
      'ip: 10.0.0.1',
      'ip_address: 192.0.2.10',
      'X-Forwarded-For: 127.0.0.1',
      'zip: 94105',
      'ip: 2001:db8::1',
    ],
  }),
  labelled({
    id: 'phone-number',
    description:
      'Phone numbers under a label (phone, tel, mobile, cell, fax, msisdn, WhatsApp): 7–15 digits with the usual separators; fictional 555-01xx numbers are left alone.',
    labels: [
      'phone',
      'phonenumber',
      'phone_number',
      'tel',
      'telephone',
      'mobile',
      'cell',
      'cellphone',
      'fax',
      'msisdn',
      'whatsapp',
      'contact_number',
    ],
    value: '(?:\\+[0-9]{1,3}[ .-]?)?(?:\\([0-9]{1,4}\\)[ .-]?)?[0-9]{1,5}(?:[ .-]?[0-9]{2,5}){1,4}',
    valueMax: 30,
    charset: /[0-9+() .:="'#_-]/,
    validate: phoneValid,
    exampleLabel: 'phone',
    example: (r) => `+44 20 ${7000 + r.int(2999)} ${pad(r.int(10000), 4)}`,
    negatives: ['phone: +1 415 555 0100', 'mobile: true', 'tel: 2024-01-15', 'phone extension 4021'],
  }),
  labelled({
    id: 'date-of-birth',
    description:
      'Dates of birth under a label (dob, date_of_birth, birthdate, birthday): year 1900–2099, a real month and day.',
    labels: [
      'dob',
      'date_of_birth',
      'date of birth',
      'dateofbirth',
      'birthdate',
      'birth_date',
      'birthday',
      'geburtsdatum',
    ],
    value: '[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}',
    valueMax: 10,
    charset: /[0-9/.: "'=-]/,
    validate: birthDateValid,
    exampleLabel: 'date_of_birth',
    example: (r) => `${1940 + r.int(70)}-${pad(1 + r.int(12), 2)}-${pad(1 + r.int(28), 2)}`,
    negatives: ['dob: unknown', 'birthday: 2024-13-45'],
  }),
  labelled({
    id: 'passport-number',
    description:
      'Passport numbers under a label (passport, passport_number): 6–9 letters and digits with at least one digit.',
    labels: ['passport', 'passport_number', 'passportnumber', 'passport_no'],
    value: '[A-Z0-9]{6,9}',
    valueMax: 9,
    charset: /[A-Z0-9:#="' _-]/,
    validate: (v) => /[0-9]/.test(v),
    exampleLabel: 'passport_number',
    example: (r) => r.chars(UPPER, 1) + r.digits(8),
    negatives: ['passport: required', 'passport number: UNKNOWN'],
  }),
  labelled({
    id: 'drivers-license-number',
    description:
      "Driving licence numbers under a label (driver's license, driving_licence, dl_number): 6–20 letters, digits and dashes with at least two digits.",
    labels: [
      "driver's license",
      'drivers license',
      'driver license',
      'drivers_license',
      'driver_license',
      'driving licence',
      'driving_licence',
      'dl_number',
      'license_number',
      'licence_number',
    ],
    value: '[A-Z0-9][A-Z0-9-]{4,18}[A-Z0-9]',
    valueMax: 20,
    charset: /[A-Z0-9:#="' _-]/,
    validate: (v) => (v.match(/[0-9]/g) ?? []).length >= 2,
    exampleLabel: 'drivers_license',
    example: (r) => r.chars(UPPER, 1) + r.digits(7),
    negatives: ['license_number: pending', 'drivers_license: REQUIRED'],
  }),
  scan({
    id: 'uk-nino',
    category: 'pii',
    description:
      'UK National Insurance numbers (two letters with the allowed prefixes, six digits, A–D), spaced or not.',
    pattern:
      '(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z](?: ?[0-9]{2}){3} ?[A-D](?![A-Za-z0-9])',
    maxLength: 13,
    charset: /[A-Z0-9 ]/,
    seed: {
      first: /[A-Z]/,
      notAfter: /[A-Za-z0-9]/,
      run: /[A-Z0-9]/,
      min: 2,
      accept: (n, next) => n === 9 || (next === 32 && n >= 2 && n <= 8),
      // the second prefix letter, then a digit (or a space before the first pair)
      shape: [/[A-CEGHJ-NPR-TW-Z]/, /[0-9 ]/, /[0-9]/],
    },
    positives: [
      plain(
        (r) => r.chars('ABCEHJKLMPRSW', 1) + r.chars('ABCEHJKLMPRSTW', 1) + r.digits(6) + r.chars('ABCD', 1),
      ),
      (r) => {
        const secret = `J${r.chars('ABCEHJKLMPRSTW', 1)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} C`;
        return { text: `NI number: ${secret}`, secret };
      },
    ],
    negatives: ['QQ 12 34 56 C', 'GB123456A', 'AB1234567', 'SHA123456D1'],
  }),
  labelled({
    id: 'ca-sin',
    description:
      'Canadian Social Insurance Numbers under a label (SIN, social insurance number, NAS): 9 digits with a valid Luhn check.',
    labels: ['sin', 'social insurance', 'social_insurance', 'nas'],
    value: '[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{3}',
    valueMax: 11,
    charset: /[0-9 :#="'_-]/,
    validate: sinValid,
    exampleLabel: 'SIN',
    example: (r) => {
      const v = complete(String(1 + r.int(7)) + r.digits(7), DIGITS, sinValid);
      return `${v.slice(0, 3)}-${v.slice(3, 6)}-${v.slice(6)}`;
    },
    negatives: ['SIN: 123-456-789', 'sin(x) = 0.5'],
  }),
  labelled({
    id: 'in-aadhaar',
    description:
      'Indian Aadhaar numbers under a label (Aadhaar, UIDAI): 12 digits with a valid Verhoeff check.',
    labels: ['aadhaar', 'aadhar', 'uidai'],
    value: '[2-9][0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4}',
    valueMax: 14,
    charset: /[0-9 :#="'_-]/,
    validate: aadhaarValid,
    exampleLabel: 'aadhaar',
    example: (r) => {
      const v = complete(String(2 + r.int(8)) + r.digits(10), DIGITS, aadhaarValid);
      return `${v.slice(0, 4)} ${v.slice(4, 8)} ${v.slice(8)}`;
    },
    negatives: ['aadhaar: 1234 5678 9012', 'aadhaar: pending'],
  }),
  labelled({
    id: 'in-pan',
    description:
      'Indian Permanent Account Numbers under a label (PAN): five letters (the fourth names the holder type), four digits, a letter.',
    labels: ['pan', 'pan_number', 'permanent account number'],
    value: '[A-Z]{3}[PCHFATBLJG][A-Z][0-9]{4}[A-Z]',
    valueMax: 10,
    charset: /[A-Z0-9 :#="'_-]/,
    exampleLabel: 'PAN',
    example: (r) => r.chars(UPPER, 3) + 'P' + r.chars(UPPER, 1) + r.digits(4) + r.chars(UPPER, 1),
    negatives: ['pan: left', 'PAN: ABCDE1234F'],
  }),
  labelled({
    id: 'es-dni',
    description:
      'Spanish DNI and NIE numbers under a label (DNI, NIE, NIF): 8 digits (or X/Y/Z and 7) and the mod-23 check letter.',
    labels: ['dni', 'nie', 'nif', 'documento nacional'],
    value: '[XYZ]?[0-9]{7,8}[ -]?[A-Z]',
    valueMax: 10,
    charset: /[A-Z0-9 :#="'_-]/,
    validate: spanishIdValid,
    exampleLabel: 'DNI',
    example: (r) => complete(r.digits(8), UPPER, spanishIdValid),
    negatives: ['DNI: 12345678A', 'nie: pending'],
  }),
  scan({
    id: 'it-codice-fiscale',
    category: 'pii',
    description:
      'Italian codici fiscali: 16 characters (surname, name, birth date and place codes) with a valid check letter.',
    pattern:
      '(?<![A-Za-z0-9])[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?![A-Za-z0-9])',
    maxLength: 16,
    charset: /[A-Z0-9]/,
    seed: { first: /[A-Z]/, notAfter: /[A-Za-z0-9]/, run: /[A-Z0-9]/, min: 16, accept: (n) => n === 16 },
    validate: codiceFiscaleValid,
    positives: [
      plain((r) =>
        complete(
          `${r.chars(UPPER, 6)}${pad(r.int(100), 2)}${r.chars('ABCDEHLMPRST', 1)}${pad(1 + r.int(28), 2)}${r.chars(UPPER, 1)}${r.digits(3)}`,
          UPPER,
          codiceFiscaleValid,
        ),
      ),
    ],
    negatives: ['ABCDEF12G34H567X', 'RSSMRA85T10A562Z'],
  }),
  labelled({
    id: 'fr-nir',
    description:
      'French social security numbers (NIR, numéro de sécurité sociale) under a label: 13 digits and the 97-complement key.',
    labels: ['nir', 'sécurité sociale', 'securite sociale', 'secu', 'insee', 'numero de securite sociale'],
    value: '[12][ ]?[0-9]{2}[ ]?[0-9]{2}[ ]?[0-9]{2}[ ]?[0-9]{3}[ ]?[0-9]{3}[ ]?[0-9]{2}',
    valueMax: 21,
    charset: /[0-9 :#="'_-]/,
    validate: nirValid,
    exampleLabel: 'NIR',
    example: (r) => {
      const base = `${1 + r.int(2)}${pad(r.int(100), 2)}${pad(1 + r.int(12), 2)}${r.digits(8)}`;
      return base + pad(97 - Number(BigInt(base) % 97n), 2);
    },
    negatives: ['NIR: 1 85 05 78 006 084 00', 'secu: oui'],
  }),
  labelled({
    id: 'nl-bsn',
    description:
      'Dutch citizen service numbers (BSN, burgerservicenummer) under a label: 9 digits passing the 11-test.',
    labels: ['bsn', 'burgerservicenummer', 'sofinummer'],
    value: '[0-9]{9}|[0-9]{4}\\.[0-9]{2}\\.[0-9]{3}',
    valueMax: 11,
    charset: /[0-9. :#="'_-]/,
    validate: bsnValid,
    exampleLabel: 'BSN',
    example: (r) => draw(r, (x) => String(1 + x.int(9)) + x.digits(8), bsnValid),
    negatives: ['BSN: 123456788', 'bsn: unknown'],
  }),
  labelled({
    id: 'be-national-number',
    description:
      'Belgian national register numbers under a label (rijksregisternummer, numéro national, INSZ, NISS): birth date, serial and mod-97 check.',
    labels: ['rijksregisternummer', 'numéro national', 'numero national', 'national number', 'insz', 'niss'],
    value: '[0-9]{2}\\.?[0-9]{2}\\.?[0-9]{2}-?[0-9]{3}\\.?[0-9]{2}',
    valueMax: 15,
    charset: /[0-9. :#="'_-]/,
    validate: belgianNationalNumberValid,
    exampleLabel: 'rijksregisternummer',
    example: (r) => {
      const base = `${pad(r.int(100), 2)}${pad(1 + r.int(12), 2)}${pad(1 + r.int(28), 2)}${pad(1 + r.int(997), 3)}`;
      return complete(base, DIGITS, belgianNationalNumberValid, 2);
    },
    negatives: ['national number: 00.00.00-000.00', 'insz: unknown'],
  }),
  labelled({
    id: 'pl-pesel',
    description: 'Polish PESEL numbers under a label: 11 digits with a valid check digit.',
    labels: ['pesel'],
    value: '[0-9]{11}',
    valueMax: 11,
    charset: /[0-9 :#="'_-]/,
    validate: peselValid,
    exampleLabel: 'PESEL',
    example: (r) =>
      complete(
        `${pad(r.int(100), 2)}${pad(1 + r.int(12), 2)}${pad(1 + r.int(28), 2)}${r.digits(4)}`,
        DIGITS,
        peselValid,
      ),
    negatives: ['PESEL: 12345678901', 'pesel: brak'],
  }),
  labelled({
    id: 'se-personnummer',
    description:
      'Swedish personal identity numbers under a label (personnummer): (YY)YYMMDD, - or +, four digits with a valid Luhn check.',
    labels: ['personnummer', 'personnr', 'personal identity number'],
    value: '(?:19|20)?[0-9]{6}[-+]?[0-9]{4}',
    valueMax: 13,
    charset: /[0-9+ :#="'_-]/,
    validate: personnummerValid,
    exampleLabel: 'personnummer',
    example: (r) => {
      const v = complete(
        `${pad(r.int(100), 2)}${pad(1 + r.int(12), 2)}${pad(1 + r.int(28), 2)}${r.digits(3)}`,
        DIGITS,
        personnummerValid,
      );
      return `${v.slice(0, 6)}-${v.slice(6)}`;
    },
    negatives: ['personnummer: 811228-9873', 'personnummer: saknas'],
  }),
  labelled({
    id: 'fi-hetu',
    description:
      'Finnish personal identity codes (henkilötunnus, HETU) under a label: DDMMYY, a century sign, three digits and a mod-31 check.',
    labels: ['henkilötunnus', 'henkilotunnus', 'hetu', 'personal identity code'],
    value: '[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Y]',
    valueMax: 11,
    charset: /[0-9A-Y+ :#="'_-]/,
    validate: hetuValid,
    exampleLabel: 'hetu',
    example: (r) =>
      complete(`${birth(r)}-${pad(2 + r.int(897), 3)}`, DIGITS + 'ABCDEFHJKLMNPRSTUVWXY', hetuValid),
    negatives: ['hetu: 131052-308X', 'hetu: puuttuu'],
  }),
  labelled({
    id: 'no-fodselsnummer',
    description:
      'Norwegian national identity numbers (fødselsnummer) under a label: 11 digits with two valid mod-11 check digits.',
    labels: ['fødselsnummer', 'fodselsnummer', 'fnr'],
    value: '[0-9]{6} ?[0-9]{5}',
    valueMax: 12,
    charset: /[0-9 :#="'_-]/,
    validate: fodselsnummerValid,
    exampleLabel: 'fødselsnummer',
    example: (r) =>
      draw(
        r,
        (x) => complete(`${birth(x)}${x.digits(3)}`, DIGITS, fodselsnummerValid, 2),
        fodselsnummerValid,
      ),
    negatives: ['fnr: 12345678901', 'fødselsnummer: mangler'],
  }),
  labelled({
    id: 'dk-cpr',
    description: 'Danish CPR numbers under a label (CPR, CPR-nummer): DDMMYY-SSSS with a real date.',
    labels: ['cpr', 'cpr-nummer', 'cpr_number', 'cprnummer'],
    value: '(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])[0-9]{2}-?[0-9]{4}',
    valueMax: 11,
    charset: /[0-9 :#="'_-]/,
    exampleLabel: 'CPR',
    example: (r) => `${birth(r)}-${r.digits(4)}`,
    negatives: ['CPR: 321399-1234', 'cpr: mangler'],
  }),
  labelled({
    id: 'br-cpf',
    description:
      'Brazilian CPF numbers under a label: 11 digits (###.###.###-##) with two valid check digits.',
    labels: ['cpf'],
    value: '[0-9]{3}\\.?[0-9]{3}\\.?[0-9]{3}-?[0-9]{2}',
    valueMax: 14,
    charset: /[0-9. :#="'_-]/,
    validate: cpfValid,
    exampleLabel: 'CPF',
    example: (r) => {
      const v = complete(r.digits(9), DIGITS, cpfValid, 2);
      return `${v.slice(0, 3)}.${v.slice(3, 6)}.${v.slice(6, 9)}-${v.slice(9)}`;
    },
    negatives: ['CPF: 111.111.111-11', 'cpf: 123.456.789-00'],
  }),
  labelled({
    id: 'br-cnpj',
    description:
      'Brazilian CNPJ company numbers under a label: 14 digits (##.###.###/####-##) with two valid check digits.',
    labels: ['cnpj'],
    value: '[0-9]{2}\\.?[0-9]{3}\\.?[0-9]{3}/?[0-9]{4}-?[0-9]{2}',
    valueMax: 18,
    charset: /[0-9./ :#="'_-]/,
    validate: cnpjValid,
    exampleLabel: 'CNPJ',
    example: (r) => {
      const v = complete(r.digits(8) + '0001', DIGITS, cnpjValid, 2);
      return `${v.slice(0, 2)}.${v.slice(2, 5)}.${v.slice(5, 8)}/${v.slice(8, 12)}-${v.slice(12)}`;
    },
    negatives: ['CNPJ: 00.000.000/0000-00', 'cnpj: 12.345.678/0001-00'],
  }),
  scan({
    id: 'cn-resident-id',
    category: 'pii',
    description:
      'Chinese resident identity card numbers: 18 characters (region, birth date, serial) with a valid ISO 7064 MOD 11-2 check.',
    pattern:
      '(?<![A-Za-z0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![A-Za-z0-9])',
    maxLength: 18,
    charset: /[0-9Xx]/,
    seed: { first: /[1-9]/, notAfter: /[A-Za-z0-9]/, run: /[0-9Xx]/, min: 18, accept: (n) => n === 18 },
    validate: chinaIdValid,
    positives: [
      plain((r) =>
        complete(
          `${1 + r.int(8)}${r.digits(5)}${1950 + r.int(60)}${pad(1 + r.int(12), 2)}${pad(1 + r.int(28), 2)}${r.digits(3)}`,
          DIGITS + 'X',
          chinaIdValid,
        ),
      ),
    ],
    negatives: ['110101199003071234', 'order 202401150000000001'],
  }),
  scan({
    id: 'sg-nric',
    category: 'pii',
    description: 'Singapore NRIC and FIN numbers (S, T, F or G, seven digits and a valid check letter).',
    pattern: '(?<![A-Za-z0-9])[STFG][0-9]{7}[A-Z](?![A-Za-z0-9])',
    maxLength: 9,
    charset: /[A-Z0-9]/,
    seed: { first: /[STFG]/, notAfter: /[A-Za-z0-9]/, run: /[A-Z0-9]/, min: 9, accept: (n) => n === 9 },
    validate: nricValid,
    positives: [plain((r) => complete(r.chars('STFG', 1) + r.digits(7), UPPER, nricValid))],
    negatives: ['S1234567A', 'T0000000Z'],
  }),
  scan({
    id: 'kr-rrn',
    category: 'pii',
    description:
      'South Korean resident registration numbers (YYMMDD-SSSSSSS) with a real date and a valid check digit.',
    pattern:
      '(?<![A-Za-z0-9-])[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])-[1-4][0-9]{6}(?![A-Za-z0-9-])',
    maxLength: 14,
    charset: /[0-9-]/,
    seed: {
      first: /[0-9]/,
      notAfter: /[A-Za-z0-9-]/,
      run: /[0-9]/,
      min: 6,
      accept: (n, next) => n === 6 && next === 45,
    },
    validate: rrnValid,
    positives: [
      plain((r) =>
        complete(
          `${pad(r.int(100), 2)}${pad(1 + r.int(12), 2)}${pad(1 + r.int(28), 2)}-${1 + r.int(4)}${r.digits(5)}`,
          DIGITS,
          rrnValid,
        ),
      ),
    ],
    negatives: ['900101-1234567', '20240115-1234567'],
  }),
  labelled({
    id: 'jp-my-number',
    description:
      'Japanese individual numbers (My Number, マイナンバー, 個人番号) under a label: 12 digits with a valid check digit.',
    labels: ['my number', 'mynumber', 'my_number', 'マイナンバー', '個人番号'],
    value: '[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}',
    valueMax: 14,
    charset: /[0-9 :#="'_-]/,
    validate: myNumberValid,
    exampleLabel: 'my_number',
    example: (r) => complete(String(1 + r.int(9)) + r.digits(10), DIGITS, myNumberValid),
    negatives: ['my number: 123456789012', 'my number is unlisted'],
  }),
  labelled({
    id: 'au-tfn',
    description:
      'Australian tax file numbers under a label (TFN, tax file number): 9 digits with a valid weighted check.',
    labels: ['tfn', 'tax file number', 'tax_file_number'],
    value: '[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{3}',
    valueMax: 11,
    charset: /[0-9 :#="'_-]/,
    validate: tfnValid,
    exampleLabel: 'TFN',
    example: (r) => draw(r, (x) => String(1 + x.int(9)) + x.digits(8), tfnValid),
    negatives: ['TFN: 123 456 789', 'tfn: exempt'],
  }),
  labelled({
    id: 'au-abn',
    description: 'Australian business numbers under a label (ABN): 11 digits with a valid mod-89 check.',
    labels: ['abn', 'australian business number'],
    value: '[0-9]{2} ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}',
    valueMax: 14,
    charset: /[0-9 :#="'_-]/,
    validate: abnValid,
    exampleLabel: 'ABN',
    example: (r) => draw(r, (x) => String(1 + x.int(9)) + x.digits(10), abnValid),
    negatives: ['ABN: 12 345 678 901', 'abn: pending'],
  }),
  scan({
    id: 'us-itin',
    category: 'pii',
    description:
      'US individual taxpayer identification numbers (9XX-7X-XXXX and the other issued middle ranges).',
    pattern:
      '(?<![A-Za-z0-9_-])9[0-9]{2}-(?:5[0-9]|6[0-5]|7[0-9]|8[0-8]|9[0-2]|9[4-9])-[0-9]{4}(?![A-Za-z0-9_-])',
    maxLength: 11,
    charset: /[0-9-]/,
    seed: {
      first: /9/,
      notAfter: /[A-Za-z0-9_-]/,
      run: /[0-9]/,
      min: 3,
      accept: (n, next) => n === 3 && next === 45,
    },
    positives: [plain((r) => `9${r.digits(2)}-${70 + r.int(10)}-${r.digits(4)}`)],
    negatives: ['900-12-3456', '999-93-1234'],
  }),
  labelled({
    id: 'us-bank-routing-number',
    description:
      'US bank routing (ABA) numbers under a label (routing number, ABA, RTN): 9 digits with a valid 3-7-1 checksum.',
    labels: ['routing', 'routing_number', 'routingnumber', 'aba', 'rtn', 'transit number'],
    value: '[0-9]{9}',
    valueMax: 9,
    charset: /[0-9 :#="'_-]/,
    validate: abaValid,
    exampleLabel: 'routing_number',
    example: (r) => complete('0' + String(1 + r.int(9)) + r.digits(6), DIGITS, abaValid),
    negatives: ['routing number: 123456789', 'routing: /api/v1'],
  }),
  labelled({
    id: 'cl-rut',
    description: 'Chilean RUT / RUN numbers under a label: the number and a valid mod-11 check character.',
    labels: ['rut', 'run'],
    value: '[0-9]{1,2}\\.?[0-9]{3}\\.?[0-9]{3}-[0-9Kk]',
    valueMax: 12,
    charset: /[0-9Kk. :#="'_-]/,
    validate: rutValid,
    exampleLabel: 'RUT',
    example: (r) => {
      const body = String(5 + r.int(20)) + r.digits(6);
      const v = complete(
        `${body.slice(0, -6)}.${body.slice(-6, -3)}.${body.slice(-3)}-`,
        DIGITS + 'K',
        rutValid,
      );
      return v;
    },
    negatives: ['RUT: 12.345.678-0', 'run: 1'],
  }),
  scan({
    id: 'mx-curp',
    category: 'pii',
    description:
      'Mexican CURP codes: 18 characters (name initials, birth date, sex, state, consonants) with a valid check digit.',
    pattern: '(?<![A-Za-z0-9])[A-Z][AEIOUX][A-Z]{2}[0-9]{6}[HMX][A-Z]{5}[A-Z0-9][0-9](?![A-Za-z0-9])',
    maxLength: 18,
    charset: /[A-Z0-9]/,
    seed: { first: /[A-Z]/, notAfter: /[A-Za-z0-9]/, run: /[A-Z0-9]/, min: 18, accept: (n) => n === 18 },
    validate: curpValid,
    positives: [
      plain((r) =>
        complete(
          `${r.chars(UPPER, 1)}A${r.chars(UPPER, 2)}${pad(r.int(100), 2)}${pad(1 + r.int(12), 2)}${pad(1 + r.int(28), 2)}H${r.chars(UPPER, 5)}0`,
          DIGITS,
          curpValid,
        ),
      ),
    ],
    negatives: ['GARC850101HDFRRR00', 'AAAA000000HAAAAA00'],
  }),
  labelled({
    id: 'de-tax-id',
    description:
      'German tax identification numbers (Steuer-IdNr.) under a label: 11 digits with a valid ISO 7064 check digit.',
    labels: [
      'steuer-id',
      'steuerid',
      'steuer_id',
      'steueridentifikationsnummer',
      'steuer-identifikationsnummer',
      'idnr',
      'identifikationsnummer',
    ],
    value: '[1-9][0-9] ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}',
    valueMax: 14,
    charset: /[0-9 :#="'_.-]/,
    validate: steuerIdValid,
    exampleLabel: 'Steuer-ID',
    example: (r) => complete(String(1 + r.int(9)) + r.digits(9), DIGITS, steuerIdValid),
    negatives: ['Steuer-ID: 12345678901', 'steuerid: fehlt'],
  }),
  labelled({
    id: 'hk-hkid',
    description:
      'Hong Kong identity card numbers under a label (HKID): one or two letters, six digits and a valid check digit.',
    labels: ['hkid', 'hong kong identity', 'hk identity card', 'hkic'],
    value: '[A-Z]{1,2}[0-9]{6}\\(?[0-9A]\\)?',
    valueMax: 11,
    charset: /[A-Z0-9() :#="'_-]/,
    validate: hkidValid,
    exampleLabel: 'HKID',
    example: (r) => {
      const v = complete(r.chars(UPPER, 1) + r.digits(6), DIGITS + 'A', hkidValid);
      return `${v.slice(0, -1)}(${v.slice(-1)})`;
    },
    negatives: ['HKID: A123456(0)', 'hkid: none'],
  }),
  labelled({
    id: 'imei',
    description: 'Mobile device IMEI numbers under a label (IMEI): 15 digits with a valid Luhn check.',
    labels: ['imei'],
    value: '[0-9]{15}|[0-9]{2}-[0-9]{6}-[0-9]{6}-[0-9]',
    valueMax: 18,
    charset: /[0-9 :#="'_-]/,
    validate: (v) => luhnValid(v.replace(/-/g, '')),
    exampleLabel: 'IMEI',
    example: (r) => complete('35' + r.digits(12), DIGITS, (v) => luhnValid(v)),
    negatives: ['IMEI: 490154203237517', 'imei: unknown'],
  }),
  labelled({
    id: 'us-ein',
    description: 'US employer identification numbers under a label (EIN, FEIN): NN-NNNNNNN.',
    labels: ['ein', 'fein', 'employer identification number', 'employer id'],
    value: '(?!00)[0-9]{2}-[0-9]{7}',
    valueMax: 10,
    charset: /[0-9 :#="'_-]/,
    exampleLabel: 'EIN',
    example: (r) => `${30 + r.int(29)}-${r.digits(7)}`,
    negatives: ['EIN: 00-1234567', 'ein: pending'],
  }),
];
