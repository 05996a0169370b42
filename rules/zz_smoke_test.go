package rules
import ("os";"testing")
func TestSmoke(t *testing.T){
 rs, err := Load(os.DirFS("testdata/example")); if err != nil { t.Fatal(err) }
 pop, _ := NewPopulation(1, []int32{0,0,0}, []int64{0,1,2})
 s := rs.NewSimulation(pop)
 bd := newColumn(DateType,3); bd.Ints[0]=int64(DateOf(1955,3,1)); bd.Ints[1]=int64(DateOf(1960,5,1)); bd.Ints[2]=int64(DateOf(2015,1,1))
 if err := s.SetInput("birth_date", Period{Kind:Eternity}, bd); err!=nil {t.Fatal(err)}
 p,_ := ParsePeriod("2026-11")
 for _, n := range []string{"age","retirement_age_months","old_age_pension","tssa_amount","in_tssa_household","children","unemployment_rate"} {
  c, err := s.Compute(n, p); t.Log(n, c, err)
 }
}
