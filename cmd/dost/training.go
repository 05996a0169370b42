package main

import (
	dosthttp "github.com/dost-az/dost/http"
	"github.com/dost-az/dost/sqlstore"
	"github.com/dost-az/dost/training"
)

// wireTraining gives s operators' training: courses, completions and the
// certifications they issue, the certification matrix and the centres'
// shortage of certified operators. Its renewal reminders run as the
// cert_renewal job (startJobs).
func (m *Main) wireTraining(s *dosthttp.Server) error {
	svc, err := training.New(training.Config{Store: sqlstore.NewTrainingStore(m.DB), Centres: s.CentreService,
		Users: s.UserService, Clock: m.DB.Clock()})
	if err != nil {
		return err
	}
	s.Training = svc
	return nil
}
