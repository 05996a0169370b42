package casework

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dost-az/dost"
	"github.com/dost-az/dost/filestore"
)

// ActionSubmit is the action of an application's first transition, from no
// status to submitted.
const ActionSubmit dost.ApplicationAction = "submit"

// FutureMonths is how many months after the month of submission an
// application's period may start.
const FutureMonths = 12

// channelOf maps an application's channel to the passport's request
// channel that must allow it; the proactive channel needs none.
var channelOf = map[dost.ApplicationChannel]dost.Channel{
	dost.ApplicationAtCentre:     dost.ChannelInPerson,
	dost.ApplicationOnline:       dost.ChannelOnline,
	dost.ApplicationByCallCentre: dost.ChannelCallCentre,
}

// SubmitApplication validates and stores a new application with its
// documents, computes its deadline and records the submission.
//
// The person is found by FIN and the service by code; the channel must be
// one the passport offers (the proactive channel always is). Every
// document the passport requires must be given: uploaded, or presented (an
// original seen at a window: only on the centre channel), except on the
// proactive channel, whose applications (an accepted offer) carry none:
// the registries' records replace them. That channel is for dost itself
// and the offer path (proactive.Service.AnswerOffer) only: the HTTP layer
// lets staff submit on the centre and call centre channels alone, and
// nothing else calls this with a user's choice of channel. Files are checked
// by content (PDF, JPEG or PNG, at most dost.MaxDocumentSize), and a file
// whose name's extension or declared ContentType says it is another type
// than its content is refused ("file.type_mismatch",
// filestore.CheckDeclared). The period
// defaults to the month of submission; it may lie at most the programme's
// back-pay limit before it and FutureMonths after it. The centre defaults
// to the submitting staff member's only centre and is required at a
// window; a centre given must exist (EINVALID "centre.unknown", checked
// when the Service has Centres); a staff member scoped to centres submits
// only for those (EFORBIDDEN). The household is the person's at submission; the deadline
// counts the passport's days from the day of submission with the holiday
// calendar.
//
// Idempotent: with an IdempotencyKey already used by the same submitter
// for the same submission (submissionHash) it returns the first
// application and created=false, and changes nothing; for another
// submission it is ECONFLICT (field "idempotency_key", code
// "idempotency.mismatch"), nothing stored.
// A deceased person applies for a service about a death only (the funeral
// allowance, the survivor's pension): otherwise "fin" is EINVALID with the
// code "person.deceased".
// Errors: EINVALID naming every bad field ("fin", "service_code",
// "channel", "period", "centre_id", "documents[i].code",
// "documents[i].file", "documents.<code>" for a missing required
// document), nothing stored.
func (s *Service) SubmitApplication(ctx context.Context, n *dost.NewApplication) (*dost.Application, bool, error) {
	actorID, u := actor(ctx)
	now := s.now()
	today := dost.DateOf(now.In(dost.Baku))

	var v dost.Validation
	person, err := s.personByFIN(ctx, n.FIN)
	if err != nil && dost.ErrorCode(err) != dost.EINVALID {
		return nil, false, err
	} else if err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	}
	if u.CitizenOnly() && person != nil && (u.PersonID == nil || *u.PersonID != person.ID) {
		return nil, false, dost.Errorf(dost.EFORBIDDEN, "Citizens apply for themselves only.")
	}
	svc, err := s.service(ctx, n.ServiceCode)
	if err != nil && dost.ErrorCode(err) != dost.EINVALID {
		return nil, false, err
	} else if err != nil {
		v.Fields = append(v.Fields, dost.ErrorFields(err)...)
	} else if !svc.Active {
		v.Add("service_code", "service.inactive", "The service %s is not offered at present.", svc.Code)
	}
	if person != nil && person.Status == dost.PersonDeceased && (svc == nil || !s.aboutDeath(svc.Code)) {
		v.Add("fin", "person.deceased", "%s %s is recorded as deceased (%s): only a service about a death is requested for a deceased person.",
			person.FirstName, person.LastName, person.DeathDate)
	}
	if !dost.ValidApplicationChannel(n.Channel) {
		v.Add("channel", "channel.invalid", "Unknown channel %q.", n.Channel)
	} else if svc != nil && n.Channel != dost.ApplicationProactive && !svc.Offers(channelOf[n.Channel]) {
		v.Add("channel", "channel.not_offered", "The service %s cannot be requested through the channel %s.", svc.Code, n.Channel)
	}
	if n.CentreID == 0 && n.Channel == dost.ApplicationAtCentre && (u == nil || len(u.CentreIDs) == 0) {
		v.Add("centre_id", "required", "The centre is required for an application at a window.")
	}
	if n.CentreID < 0 {
		v.Add("centre_id", "centre.invalid", "Centre %d is not valid.", n.CentreID)
	} else if n.CentreID > 0 && s.centres != nil {
		// A centre that does not exist would put the application in
		// nobody's queue.
		if _, err := s.centres.FindCentreByID(ctx, n.CentreID); dost.ErrorCode(err) == dost.ENOTFOUND {
			v.Add("centre_id", "centre.unknown", "There is no centre %d.", n.CentreID)
		} else if err != nil {
			return nil, false, fmt.Errorf("find centre: %w", err)
		}
	}
	period := n.Period
	if period.IsZero() {
		period = dost.MonthOf(today)
	}
	if svc != nil {
		s.checkPeriod(&v, svc.Code, period, dost.MonthOf(today))
	}
	if !dost.ValidText(n.Note, true) || len(n.Note) > 4000 {
		v.Add("note", "note.invalid", "The note has characters that are not allowed or is longer than 4000 bytes.")
	}
	if len(n.IdempotencyKey) > 200 || !dost.ValidText(n.IdempotencyKey, false) {
		v.Add("idempotency_key", "idempotency_key.invalid", "The idempotency key is longer than 200 bytes or has characters that are not allowed.")
	}
	var docs []*dost.ApplicationDocument
	if svc != nil {
		docs = s.checkDocuments(&v, svc, n.Channel, n.Documents, actorID, now)
	}
	if err := v.Err("The application has errors."); err != nil {
		return nil, false, err
	}
	centreID, err := s.centreFor(ctx, u, person, n.CentreID)
	if err != nil {
		return nil, false, err
	}
	if u != nil && !u.CitizenOnly() && centreID != 0 && !u.InCentre(centreID) {
		return nil, false, dost.Errorf(dost.EFORBIDDEN, "You do not work at centre %d.", centreID)
	}

	hh, err := s.householdOf(ctx, person.ID)
	if err != nil {
		return nil, false, err
	}
	deadline, err := s.deadline(ctx, svc, today)
	if err != nil {
		return nil, false, err
	}
	a := &dost.Application{
		PersonID: person.ID, FIN: person.FIN, HouseholdID: hh, ServiceCode: svc.Code, CentreID: centreID,
		Channel: n.Channel, Status: dost.ApplicationSubmitted, Period: period, Deadline: deadline,
		SubmittedBy: actorID, SubmittedAt: now, UpdatedAt: now, IdempotencyKey: n.IdempotencyKey,
		SubmissionHash: submissionHash(person.FIN, svc.Code, n), Note: strings.TrimSpace(n.Note),
		Transitions: []*dost.Transition{{Action: ActionSubmit, To: dost.ApplicationSubmitted, ActorID: actorID, At: now}},
	}

	keys, err := s.putFiles(ctx, docs, n.Documents, today.Year())
	if err != nil {
		return nil, false, err
	}
	stored, created, err := s.store.CreateApplication(ctx, a, docs, nil)
	switch {
	case err != nil:
		s.removeUnusedFiles(keys, err)
		return nil, false, err
	case !created:
		s.removeFiles(keys) // the first submission's files are the ones kept
	}
	return stored, created, nil
}

// submissionHash returns the hex SHA-256 of what submission n asks for,
// normalised: the person's FIN and the service's code as found, the
// centre, channel and period as given (0 and "" for the defaults, which
// may change between a submission and its retry), the note trimmed, and
// the documents sorted, each its code, whether presented, its file name
// trimmed and its content's SHA-256. Two submissions with the same hash
// ask for the same thing; the hash is kept with the application so that
// an Idempotency-Key reused for another submission is refused.
func submissionHash(fin dost.FIN, serviceCode string, n *dost.NewApplication) string {
	type doc struct {
		Code      string `json:"code"`
		Presented bool   `json:"presented"`
		FileName  string `json:"file_name"`
		SHA256    string `json:"sha256"`
	}
	docs := make([]doc, 0, len(n.Documents))
	for _, d := range n.Documents {
		x := doc{Code: strings.TrimSpace(d.Code), Presented: d.Presented, FileName: strings.TrimSpace(d.FileName)}
		if len(d.Content) > 0 {
			sum := sha256.Sum256(d.Content)
			x.SHA256 = hex.EncodeToString(sum[:])
		}
		docs = append(docs, x)
	}
	slices.SortFunc(docs, func(a, b doc) int {
		return cmp.Or(cmp.Compare(a.Code, b.Code), cmp.Compare(a.FileName, b.FileName), cmp.Compare(a.SHA256, b.SHA256),
			cmp.Compare(strconv.FormatBool(a.Presented), strconv.FormatBool(b.Presented)))
	})
	period := ""
	if !n.Period.IsZero() {
		period = n.Period.String()
	}
	b, _ := json.Marshal(struct {
		V         int    `json:"v"` // the normalisation's version
		FIN       string `json:"fin"`
		Service   string `json:"service"`
		Centre    int64  `json:"centre"`
		Channel   string `json:"channel"`
		Period    string `json:"period"`
		Note      string `json:"note"`
		Documents []doc  `json:"documents"`
	}{1, string(fin), serviceCode, n.CentreID, string(n.Channel), period, strings.TrimSpace(n.Note), docs})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// SurvivorPensionService is the catalogue's survivor's pension (pension
// on the loss of the breadwinner), requested after a death.
const SurvivorPensionService = "05-01-03-00"

// aboutDeath reports whether the service serviceCode is about a death, and
// so may be requested with the FIN of a deceased person: the service of the
// funeral allowance programme (found by programme, whatever its service
// code) and the survivor's pension, which has no programme yet and is
// known by its catalogue code.
func (s *Service) aboutDeath(serviceCode string) bool {
	if p := s.byService[serviceCode]; p != nil && p.Code == "funeral_allowance" {
		return true
	}
	return serviceCode == SurvivorPensionService
}

// personByFIN returns the person with the FIN, or an EINVALID error naming
// field "fin".
func (s *Service) personByFIN(ctx context.Context, fin dost.FIN) (*dost.Person, error) {
	f, err := dost.ParseFIN(string(fin))
	if err != nil {
		return nil, dost.FieldErr("fin", "fin.invalid", "%s", dost.ErrorMessage(err))
	}
	p, err := s.persons.FindPersonByFIN(ctx, f)
	if dost.ErrorCode(err) == dost.ENOTFOUND {
		return nil, dost.FieldErr("fin", "person.unknown", "There is nobody with FIN %s in the registry.", f.Masked())
	} else if err != nil {
		return nil, fmt.Errorf("find person: %w", err)
	}
	return p, nil
}

// householdOf returns the ID of the person's household, 0 if none.
func (s *Service) householdOf(ctx context.Context, personID int64) (int64, error) {
	return s.store.HouseholdOf(ctx, personID)
}

// checkPeriod checks that an application's period lies no more than the
// programme's back-pay limit before the month of submission and no more
// than FutureMonths after it.
func (s *Service) checkPeriod(v *dost.Validation, serviceCode string, period, current dost.Month) {
	if period.Year < dost.MinYear || period.Month < 1 || period.Month > 12 {
		v.Add("period", "period.invalid", "The period %s is not a month.", period)
		return
	}
	if monthsBetween(current, period) > FutureMonths {
		v.Add("period", "period.out_of_range", "The period %s is more than %d months ahead.", period, FutureMonths)
	}
	if p := s.byService[serviceCode]; p != nil && p.BackPayMonths >= 0 && monthsBetween(period, current) > p.BackPayMonths {
		v.Add("period", "period.out_of_range", "The period %s is more than %d months back; %s is paid back %d months at most.",
			period, p.BackPayMonths, p.Name.EN, p.BackPayMonths)
	}
}

// monthsBetween returns how many months b is after a.
func monthsBetween(a, b dost.Month) int {
	return (b.Year-a.Year)*12 + int(b.Month) - int(a.Month)
}

// checkDocuments validates the documents of a submission against the
// passport and returns their records (without storage keys). Missing
// required documents are named "documents.<code>", except on the proactive
// channel, which requires none.
func (s *Service) checkDocuments(v *dost.Validation, svc *dost.Service, ch dost.ApplicationChannel, nds []dost.NewDocument, actorID int64, now time.Time) []*dost.ApplicationDocument {
	given := map[string]bool{}
	var docs []*dost.ApplicationDocument
	for i, nd := range nds {
		d, fields := checkDocument(svc, ch, nd)
		for _, f := range fields {
			v.Add("documents["+strconv.Itoa(i)+"]."+f.Field, f.Code, "%s", f.Message)
		}
		if d != nil && len(fields) == 0 {
			d.UploadedBy, d.UploadedAt = actorID, now
			docs = append(docs, d)
			given[d.Code] = true
		}
	}
	if ch == dost.ApplicationProactive {
		return docs // the registries' records stand in for the documents
	}
	for _, pd := range svc.Documents {
		if pd.Required && !given[pd.Code] {
			v.Add("documents."+pd.Code, "document.missing", "The document %q (%s) is required.", pd.Code, pd.Name.EN)
		}
	}
	return docs
}

// checkDocument validates one document against the passport, returning its
// record or the problems (fields relative to the document: "code",
// "presented", "file", "file_name").
func checkDocument(svc *dost.Service, ch dost.ApplicationChannel, nd dost.NewDocument) (*dost.ApplicationDocument, []dost.FieldError) {
	var v dost.Validation
	if !slices.ContainsFunc(svc.Documents, func(d dost.Document) bool { return d.Code == nd.Code }) {
		v.Add("code", "document.unknown", "The service %s takes no document %q.", svc.Code, nd.Code)
	}
	name := strings.TrimSpace(nd.FileName)
	if len(name) > 255 || !dost.ValidText(name, false) || strings.ContainsAny(name, `/\`) {
		v.Add("file_name", "file_name.invalid", "The file name is longer than 255 bytes or has characters that are not allowed.")
	}
	d := &dost.ApplicationDocument{Code: nd.Code}
	switch {
	case nd.Presented && len(nd.Content) > 0:
		v.Add("presented", "document.presented_with_file", "A presented original has no file.")
	case nd.Presented && ch != dost.ApplicationAtCentre:
		v.Add("presented", "document.presented_not_at_centre", "Originals are presented only at a centre's window.")
	case nd.Presented:
		d.Presented = true
	default:
		ct, err := filestore.Sniff(nd.Content)
		if err != nil {
			for _, f := range dost.ErrorFields(err) {
				v.Add("file", f.Code, "%s", f.Message)
			}
			if len(dost.ErrorFields(err)) == 0 {
				v.Add("file", "file.invalid", "%s", dost.ErrorMessage(err))
			}
			break
		}
		if err := filestore.CheckDeclared(name, nd.ContentType, ct); err != nil {
			for _, f := range dost.ErrorFields(err) {
				v.Add("file", f.Code, "%s", f.Message)
			}
			break
		}
		sum := sha256.Sum256(nd.Content)
		d.FileName, d.ContentType, d.Size, d.SHA256 = name, ct, int64(len(nd.Content)), hex.EncodeToString(sum[:])
	}
	return d, v.Fields
}

// putFiles stores the content of each uploaded document (docs[i] was
// checked from nds[i]) under a new key "applications/<year>/<32 random hex
// digits>", sets the documents' StorageKey and returns the keys stored. On
// an error it removes what it stored.
func (s *Service) putFiles(ctx context.Context, docs []*dost.ApplicationDocument, nds []dost.NewDocument, year int) ([]string, error) {
	if len(docs) != len(nds) {
		return nil, fmt.Errorf("put files: %d documents checked of %d", len(docs), len(nds))
	}
	var keys []string
	for i, d := range docs {
		if d.Presented {
			continue
		}
		key, err := s.putFile(ctx, nds[i].Content, year)
		if err != nil {
			s.removeFiles(keys)
			return nil, err
		}
		d.StorageKey = key
		keys = append(keys, key)
	}
	return keys, nil
}

// putFile stores content under a new random key and returns the key.
func (s *Service) putFile(ctx context.Context, content []byte, year int) (string, error) {
	b := make([]byte, 16)
	rand.Read(b)
	key := fmt.Sprintf("applications/%04d/%s", year, hex.EncodeToString(b))
	if err := s.files.Put(ctx, key, bytes.NewReader(content)); err != nil {
		return "", fmt.Errorf("store document file: %w", err)
	}
	return key, nil
}

// AddDocument attaches a document to an open application: an upload, or an
// original presented at a window (applications of the centre channel
// only). A citizen adds documents only to their own applications.
// ENOTFOUND for an unknown application, ECONFLICT when it is no longer
// open, EINVALID for a document the passport does not know or a bad file.
func (s *Service) AddDocument(ctx context.Context, id int64, nd dost.NewDocument) (*dost.ApplicationDocument, error) {
	actorID, _ := actor(ctx)
	a, err := s.FindApplicationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Status.Open() {
		return nil, dost.Errorf(dost.ECONFLICT, "Documents are added only to an application awaiting its decision; this one is %s.", a.Status)
	}
	svc, err := s.service(ctx, a.ServiceCode)
	if err != nil {
		return nil, err
	}
	d, fields := checkDocument(svc, a.Channel, nd)
	if len(fields) > 0 {
		return nil, &dost.Error{Code: dost.EINVALID, Message: "The document has errors.", Fields: fields}
	}
	now := s.now()
	d.ApplicationID, d.UploadedBy, d.UploadedAt = id, actorID, now
	var keys []string
	if !d.Presented {
		key, err := s.putFile(ctx, nd.Content, dost.DateOf(now.In(dost.Baku)).Year())
		if err != nil {
			return nil, err
		}
		d.StorageKey, keys = key, []string{key}
	}
	if err := s.store.AddDocument(ctx, d); err != nil {
		s.removeUnusedFiles(keys, err)
		return nil, err
	}
	return d, nil
}

// OpenDocument returns a document's record and content (nil for an
// original presented at a window). ENOTFOUND for an unknown application or
// document, or a citizen's request for someone else's.
func (s *Service) OpenDocument(ctx context.Context, applicationID, documentID int64) (*dost.ApplicationDocument, []byte, error) {
	if _, err := s.FindApplicationByID(ctx, applicationID); err != nil {
		return nil, nil, err
	}
	d, err := s.store.FindDocument(ctx, applicationID, documentID)
	if err != nil {
		return nil, nil, err
	}
	if d.Presented || d.StorageKey == "" {
		return d, nil, nil
	}
	r, err := s.files.Open(ctx, d.StorageKey)
	if err != nil {
		return nil, nil, fmt.Errorf("open document file: %w", err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, dost.MaxDocumentSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read document file: %w", err)
	}
	return d, b, nil
}

// centreFor returns the centre whose queue an application of person
// belongs to: the centre requested when there is one; else the acting
// staff member's first centre; else the centre of the person's region and
// district; else the first centre by code, so that no application (from
// the call centre, a citizen or an accepted offer) reaches nobody's queue.
// It returns 0 only when the Service has no CentreService or there are no
// centres.
func (s *Service) centreFor(ctx context.Context, u *dost.User, person *dost.Person, requested int64) (int64, error) {
	if requested != 0 {
		return requested, nil
	}
	if u != nil && !u.CitizenOnly() && len(u.CentreIDs) > 0 {
		return u.CentreIDs[0], nil
	}
	if s.centres == nil {
		return 0, nil
	}
	// CentreFilter has no region or district: the network is a few dozen
	// centres, so they are matched here.
	cs, _, err := s.centres.FindCentres(ctx, dost.CentreFilter{})
	if err != nil {
		return 0, fmt.Errorf("find centres: %w", err)
	}
	if len(cs) == 0 {
		return 0, nil
	}
	if person.District != "" {
		for _, c := range cs {
			if strings.EqualFold(c.Region, person.Region) && strings.EqualFold(c.District, person.District) {
				return c.ID, nil
			}
		}
	}
	return cs[0].ID, nil
}
