package synth

import "strings"

// The tables below are approximate public figures (State Statistical
// Committee of Azerbaijan, 2024–2025), rounded: good enough for a population
// that looks and behaves like the country's, not for statistics.

var maleNames = strings.Fields(`Əli Məmməd Rəşad Elvin Tural Orxan Kamran Elnur Ramil Rauf Vüqar Anar
	Nicat Ruslan Fərid Emil Cavid Samir Elçin Fuad Namiq Zaur Rövşən Nurlan Elşən İlham Vüsal Ceyhun
	Səbuhi Toğrul Murad Hüseyn Həsən Ömər Yusif İbrahim Əhməd Mahir Rəhim Kənan Aqil Azər Babək Cəlal
	Eldar Fazil Qabil Həmid İsmayıl Xəyal Mübariz Nahid Oqtay Pərviz Rasim Səməd Tofiq Ülvi Vahid Yaşar
	Zahid Şahin Arif Nizami Rüstəm Sərdar Teymur Elmar Ayxan Ayaz Mirzə Novruz Qasım Əmir Rafiq Vaqif`)

var femaleNames = strings.Fields(`Nigar Aysel Günay Səbinə Ləman Leyla Aynur Gülnar Sevinc Nərmin Könül
	Ülviyyə Aytən Fidan Lalə Nərgiz Səidə Şəbnəm Təranə Vüsalə Zəhra Xədicə Fatimə Məryəm Aida Arzu Bahar
	Dilarə Elmira Esmira Fəridə Gülşən Həcər İlahə Jalə Kəmalə Lamiyə Mehriban Nailə Nazlı Pərvanə Rəna
	Rəşidə Samirə Sevda Solmaz Tamilla Turan Ulduz Validə Yeganə Zülfiyyə Şəfəq Aygün Gülnaz Ramilə
	Elnarə Aysu Nuray Aylin Zəminə Mələk Nuranə Sürəyya Firuzə Rübabə Sona Xanım Zərifə`)

// surnames are the masculine forms; the first ones are the most common.
var surnames = strings.Fields(`Məmmədov Əliyev Hüseynov Həsənov Quliyev İsmayılov İbrahimov Abbasov
	Rzayev Səfərov Əhmədov Babayev Cəfərov Süleymanov Nəsirov Kərimov Orucov Qasımov Mustafayev Əsgərov
	Bayramov Rəhimov Hacıyev Nəbiyev Musayev Məhərrəmov Zeynalov Salahov Sadıqov Vəliyev Şükürov
	Allahverdiyev Paşayev Novruzov Qəhrəmanov Əsədov Mehdiyev Hümbətov Tağıyev Xəlilov Yusifov Məlikov
	Fərzəliyev İsgəndərov Qurbanov Nağıyev Sultanov Cabbarov Osmanov Heydərov Kazımov Əzizov Həmidov
	Rüstəmov Ağayev Sərdarov Ələkbərov Şahbazov Muradov Bağırov Əfəndiyev Həsənli Əlizadə Quluzadə
	Hüseynli Məmmədli İsmayılzadə`)

var surnameWeights = func() weights {
	w := make([]int, len(surnames))
	for i := range w {
		switch {
		case i < 5:
			w[i] = 12
		case i < 15:
			w[i] = 5
		default:
			w[i] = 2
		}
	}
	return newWeights(w)
}()

// feminine returns the feminine form of a surname: Məmmədov → Məmmədova;
// -li and -zadə names do not change.
func feminine(s string) string {
	if strings.HasSuffix(s, "ov") || strings.HasSuffix(s, "ev") {
		return s + "a"
	}
	return s
}

var femSurnames = func() []string {
	f := make([]string, len(surnames))
	for i, s := range surnames {
		f[i] = feminine(s)
	}
	return f
}()

// asciiReplacer transliterates Azerbaijani letters for e-mail addresses.
var asciiReplacer = strings.NewReplacer("ə", "e", "Ə", "e", "ı", "i", "İ", "i", "ö", "o", "Ö", "o", "ü", "u", "Ü", "u",
	"ş", "sh", "Ş", "sh", "ç", "ch", "Ç", "ch", "ğ", "g", "Ğ", "g")

// ascii returns s transliterated to lower-case ASCII.
func ascii(s string) string { return strings.ToLower(asciiReplacer.Replace(s)) }

func asciiAll(names []string) []string {
	a := make([]string, len(names))
	for i, n := range names {
		a[i] = ascii(n)
	}
	return a
}

var (
	maleASCII       = asciiAll(maleNames)
	femaleASCII     = asciiAll(femaleNames)
	surnameASCII    = asciiAll(surnames)
	femSurnameASCII = asciiAll(femSurnames)
)

// district is a city district or rayon with its economic region; weight is
// its population in thousands; flats is the percentage of homes that are
// flats in apartment blocks.
type district struct {
	region, name string
	weight       int
	flats        int
}

// districts lists Baku's 12 districts and the regions' main cities and
// rayons. Region names follow the domain's convention ("Baku",
// "Ganja-Dashkasan"); district names are in Azerbaijani.
var districts = []district{
	{"Baku", "Binəqədi", 290, 80}, {"Baku", "Qaradağ", 135, 50}, {"Baku", "Xətai", 310, 90},
	{"Baku", "Xəzər", 180, 50}, {"Baku", "Nərimanov", 195, 90}, {"Baku", "Nəsimi", 245, 95},
	{"Baku", "Nizami", 215, 90}, {"Baku", "Pirallahı", 22, 40}, {"Baku", "Sabunçu", 270, 60},
	{"Baku", "Səbail", 105, 90}, {"Baku", "Suraxanı", 235, 60}, {"Baku", "Yasamal", 270, 95},
	{"Absheron-Khizi", "Sumqayıt", 360, 85}, {"Absheron-Khizi", "Abşeron", 225, 40}, {"Absheron-Khizi", "Xızı", 17, 5},
	{"Ganja-Dashkasan", "Gəncə", 335, 75}, {"Ganja-Dashkasan", "Göygöl", 66, 20}, {"Ganja-Dashkasan", "Daşkəsən", 35, 20}, {"Ganja-Dashkasan", "Samux", 60, 5},
	{"Gazakh-Tovuz", "Qazax", 100, 25}, {"Gazakh-Tovuz", "Ağstafa", 90, 15}, {"Gazakh-Tovuz", "Tovuz", 180, 15}, {"Gazakh-Tovuz", "Şəmkir", 215, 15}, {"Gazakh-Tovuz", "Gədəbəy", 105, 5},
	{"Shaki-Zagatala", "Şəki", 185, 30}, {"Shaki-Zagatala", "Zaqatala", 130, 10}, {"Shaki-Zagatala", "Balakən", 100, 10}, {"Shaki-Zagatala", "Qax", 57, 10}, {"Shaki-Zagatala", "Oğuz", 45, 5}, {"Shaki-Zagatala", "Qəbələ", 105, 10},
	{"Lankaran-Astara", "Lənkəran", 230, 30}, {"Lankaran-Astara", "Astara", 110, 10}, {"Lankaran-Astara", "Masallı", 225, 10}, {"Lankaran-Astara", "Lerik", 85, 2}, {"Lankaran-Astara", "Yardımlı", 65, 2}, {"Lankaran-Astara", "Cəlilabad", 225, 10},
	{"Guba-Khachmaz", "Quba", 170, 15}, {"Guba-Khachmaz", "Qusar", 100, 10}, {"Guba-Khachmaz", "Xaçmaz", 175, 20}, {"Guba-Khachmaz", "Şabran", 60, 10}, {"Guba-Khachmaz", "Siyəzən", 40, 15},
	{"Central Aran", "Mingəçevir", 107, 80}, {"Central Aran", "Yevlax", 130, 25}, {"Central Aran", "Ağdaş", 110, 10}, {"Central Aran", "Göyçay", 125, 10}, {"Central Aran", "Ucar", 90, 10}, {"Central Aran", "Kürdəmir", 115, 10}, {"Central Aran", "Zərdab", 60, 5},
	{"Mil-Mughan", "İmişli", 125, 10}, {"Mil-Mughan", "Beyləqan", 100, 10}, {"Mil-Mughan", "Saatlı", 105, 5}, {"Mil-Mughan", "Sabirabad", 175, 10},
	{"Shirvan-Salyan", "Şirvan", 90, 70}, {"Shirvan-Salyan", "Salyan", 140, 15}, {"Shirvan-Salyan", "Neftçala", 90, 15}, {"Shirvan-Salyan", "Biləsuvar", 105, 10}, {"Shirvan-Salyan", "Hacıqabul", 75, 15},
	{"Mountainous Shirvan", "Şamaxı", 110, 15}, {"Mountainous Shirvan", "İsmayıllı", 90, 5}, {"Mountainous Shirvan", "Ağsu", 80, 5}, {"Mountainous Shirvan", "Qobustan", 50, 5},
	{"Karabakh", "Bərdə", 160, 15}, {"Karabakh", "Ağcabədi", 135, 10}, {"Karabakh", "Ağdam", 210, 10}, {"Karabakh", "Tərtər", 105, 10}, {"Karabakh", "Füzuli", 135, 10}, {"Karabakh", "Xocavənd", 45, 5}, {"Karabakh", "Xocalı", 30, 5}, {"Karabakh", "Şuşa", 35, 20},
	{"East Zangezur", "Cəbrayıl", 85, 10}, {"East Zangezur", "Qubadlı", 40, 5}, {"East Zangezur", "Laçın", 80, 10}, {"East Zangezur", "Kəlbəcər", 95, 5}, {"East Zangezur", "Zəngilan", 45, 10},
	{"Nakhchivan", "Naxçıvan", 95, 70}, {"Nakhchivan", "Şərur", 115, 5}, {"Nakhchivan", "Babək", 75, 5}, {"Nakhchivan", "Culfa", 45, 10}, {"Nakhchivan", "Ordubad", 50, 10}, {"Nakhchivan", "Şahbuz", 25, 5}, {"Nakhchivan", "Kəngərli", 30, 5},
}

var districtWeights = func() weights {
	w := make([]int, len(districts))
	for i, d := range districts {
		w[i] = d.weight
	}
	return newWeights(w)
}()

var streets = []string{
	"Nizami küç.", "Füzuli küç.", "Səməd Vurğun küç.", "Üzeyir Hacıbəyov küç.", "Azadlıq pr.", "Neftçilər pr.",
	"Heydər Əliyev pr.", "Atatürk pr.", "Rəşid Behbudov küç.", "Şah İsmayıl Xətai pr.", "Cəfər Cabbarlı küç.",
	"Bülbül pr.", "Zərifə Əliyeva küç.", "Şərifzadə küç.", "Mirzə Fətəli Axundov küç.", "Hüsü Hacıyev küç.",
	"Əhməd Cavad küç.", "Məhəmməd Hadi küç.", "Abbas Səhhət küç.", "Natəvan küç.", "Qarabağ küç.",
	"İstiqlaliyyət küç.", "Dilarə Əliyeva küç.", "Tbilisi pr.", "Mehdi Hüseyn küç.", "Sabit Rəhman küç.",
	"Hüseyn Cavid pr.", "Xaqani küç.", "Vaqif küç.", "Nəsimi küç.", "Bakıxanov küç.", "Mikayıl Müşfiq küç.",
	"Cavadxan küç.", "Ələsgər Ələkbərov küç.", "Yusif Səfərov küç.", "Şəhriyar küç.", "Koroğlu küç.",
	"Qara Qarayev pr.", "Məmməd Əmin Rəsulzadə küç.", "Zəfər küç.", "Gənclik küç.", "Səttar Bəhlulzadə küç.",
}

// banks are the bank codes of Azerbaijani IBANs; Kapital Bank (AIIB) pays
// most pensions and benefits.
var (
	banks       = []string{"AIIB", "IBAZ", "PAHA", "UBAZ", "BRES", "ACAB", "AZER", "CAPN", "RZBA", "YLBA"}
	bankWeights = newWeights([]int{55, 15, 7, 7, 5, 4, 3, 2, 1, 1})
)

// phonePrefixes are the mobile operator codes (Azercell 50/51/10, Bakcell
// 55/99, Nar 70/77).
var (
	phonePrefixes      = []string{"50", "51", "55", "70", "77", "10", "99"}
	phonePrefixWeights = newWeights([]int{30, 15, 20, 12, 10, 8, 5})
)

var emailDomains = []string{"gmail.com", "mail.ru", "mail.az", "yahoo.com", "box.az", "outlook.com"}

// employer is an insuring employer with its 10-digit taxpayer number.
type employer struct{ name, tin string }

var employers = func() []employer {
	names := []string{
		"Azərbaycan Respublikası Dövlət Neft Şirkəti", "Azərsu ASC", "Azərişıq ASC", "Azərenerji ASC",
		"Bakı Metropoliteni QSC", "Azərbaycan Dəmir Yolları QSC", "Azərbaycan Hava Yolları QSC", "Kapital Bank ASC",
		"Azercell Telekom MMC", "Bakcell MMC", "Azərpoçt MMC", "Azəriqaz İB", "Paşa Holding MMC", "Gilan Holding MMC",
		"Azersun Holding MMC", "Bravo Supermarket MMC", "Araz Supermarket MMC", "Bazarstore MMC", "Gəncə Alüminium MMC",
		"Azərpambıq MMC", "Sumqayıt Kimya Sənaye Parkı", "Azərtexnolayn MMC", "Azvirt MMC", "Baku Steel Company MMC",
		"Azərsun Bakı Qida MMC", "Xalq Bankı ASC", "Azər Türk Bank ASC", "Bakı Dövlət Universiteti",
		"Azərbaycan Tibb Universiteti", "Respublika Klinik Xəstəxanası", "Mərkəzi Klinik Xəstəxana",
		"1 nömrəli şəhər poliklinikası", "3 nömrəli şəhər poliklinikası", "23 nömrəli tam orta məktəb",
		"132 nömrəli tam orta məktəb", "6 nömrəli tam orta məktəb", "45 nömrəli uşaq bağçası", "Rayon Mərkəzi Xəstəxanası",
		"Rayon Təhsil Şöbəsi", "Rayon İcra Hakimiyyəti", "Dövlət Sosial Müdafiə Fondu", "DOST Agentliyi",
		"Daxili İşlər Nazirliyi", "Müdafiə Nazirliyi", "Fövqəladə Hallar Nazirliyi", "Dövlət Vergi Xidməti",
		"Azərbaycan Televiziya və Radio Verilişləri QSC", "Bakı Tikinti MMC", "Qafqaz İnşaat MMC", "Şirvan Aqro MMC",
		"Lənkəran Çay MMC", "Quba Meyvə MMC", "Şəki İpək ASC", "Mingəçevir Tekstil MMC", "Naxçıvan Avtomobil Zavodu",
		"Bakı Şəhər Nəqliyyat MMC", "AzTelekom MMC", "Azərbaycan Beynəlxalq Bankı ASC", "Bank Respublika ASC",
		"Unibank KB ASC", "Caspian Shipyard MMC", "Bakı Ağ Şəhər MMC", "Baku Electronics MMC", "Kontakt Home MMC",
	}
	e := make([]employer, len(names))
	for i, n := range names {
		// Legal entities' TINs end in 1 (physical persons' in 2).
		v := (100000000+mix64(uint64(i)+0x5eed)%900000000)*10 + 1
		e[i] = employer{n, itoa(int64(v))}
	}
	return e
}()

func itoa(v int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}
