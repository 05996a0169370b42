package loadgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/dost-az/dost"
)

// Topic is a topic of visits as DOST counts them (the service passport's
// "visits by topic" of the network's record day).
type Topic string

// The topics of the record day, and the catalogue's services each one
// stands for (TopicServices).
const (
	TopicSocialBenefits     Topic = "social_benefits"     // 05-02 social benefits, 06 targeted assistance
	TopicSupportingServices Topic = "supporting_services" // 10 but the coordination desk
	TopicEmployment         Topic = "employment"          // 04
	TopicPensions           Topic = "pensions"            // 05-01 labour pensions
	TopicDisability         Topic = "disability"          // 03
	TopicSocialServices     Topic = "social_services"     // 09
	TopicCoordinationDesk   Topic = "coordination_desk"   // 10-01-05-00
	TopicLabourRelations    Topic = "labour_relations"    // 02
)

// coordinationDesk is the supporting service of the coordination desk,
// counted apart on the record day.
const coordinationDesk = "10-01-05-00"

// Share is one topic's share of the visits, in percent.
type Share struct {
	Topic   Topic
	Percent float64
}

// Mix is the topic mix of visits: shares that Draw picks from in
// proportion.
type Mix []Share

// DOSTMix is the record day's mix (5,743 visitors over 7 centres): social
// benefits 25 %, supporting services 22 %, employment 21 %, pensions
// 19 %, disability 5 %, social services 4 %, coordination desk 3 %,
// labour relations 1 %.
var DOSTMix = Mix{
	{TopicSocialBenefits, 25}, {TopicSupportingServices, 22}, {TopicEmployment, 21}, {TopicPensions, 19},
	{TopicDisability, 5}, {TopicSocialServices, 4}, {TopicCoordinationDesk, 3}, {TopicLabourRelations, 1},
}

// Total is the sum of the shares.
func (m Mix) Total() float64 {
	var t float64
	for _, s := range m {
		t += s.Percent
	}
	return t
}

// Draw picks a topic with probability its share of the total.
func (m Mix) Draw(rng *rand.Rand) Topic {
	x := rng.Float64() * m.Total()
	for _, s := range m {
		if x < s.Percent {
			return s.Topic
		}
		x -= s.Percent
	}
	return m[len(m)-1].Topic
}

// TopicOf returns the topic a catalogue service code counts under, or ""
// for the services the record day's mix has no topic for (certificates,
// stipends, insurance registration).
func TopicOf(code string) Topic {
	switch {
	case code == coordinationDesk:
		return TopicCoordinationDesk
	case strings.HasPrefix(code, "05-01-"):
		return TopicPensions
	case strings.HasPrefix(code, "05-"), strings.HasPrefix(code, "06-"):
		return TopicSocialBenefits
	}
	switch dost.CategoryOfCode(code) {
	case dost.CategorySupportingServices:
		return TopicSupportingServices
	case dost.CategoryEmployment:
		return TopicEmployment
	case dost.CategoryDisability:
		return TopicDisability
	case dost.CategorySocialServices:
		return TopicSocialServices
	case dost.CategoryLabourRelations:
		return TopicLabourRelations
	}
	return ""
}

// TopicServices groups the in-person services among codes by topic
// (TopicOf), each list in code order. It fails when a topic of mix has no
// service, so a mix never draws a topic nobody can be served for.
func TopicServices(mix Mix, codes []string) (map[Topic][]string, error) {
	out := map[Topic][]string{}
	for _, c := range codes {
		if t := TopicOf(c); t != "" {
			out[t] = append(out[t], c)
		}
	}
	for _, s := range mix {
		if s.Percent > 0 && len(out[s.Topic]) == 0 {
			return nil, fmt.Errorf("loadgen: no service for the topic %s", s.Topic)
		}
		slices.Sort(out[s.Topic])
	}
	return out, nil
}
