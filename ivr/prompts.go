package ivr

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Prompt ids the script plays. The catalogue (asterisk-config/prompts.yaml)
// maps each to an Asterisk sound and the exact French text to record.
const (
	pWelcome             = "welcome"
	pEmergency15         = "emergency_15"
	pClosed              = "closed"
	pUnknownNumber       = "unknown_number"
	pEnterRPPS           = "enter_rpps"
	pRPPSInvalid         = "rpps_invalid"
	pNoInput             = "no_input"
	pEnterPIN            = "enter_pin"
	pPINWrong            = "pin_wrong"
	pPINNotSet           = "pin_not_set"
	pLocked              = "locked"
	pNotEnrolled         = "not_enrolled"
	pTooManyTries        = "too_many_tries"
	pIdentImpossible     = "identification_impossible"
	pCoordinatorContact  = "coordinator_contact"
	pGoodbye             = "goodbye"
	pMenuIntro           = "menu_intro"
	pMenuFor             = "menu_for"
	pMenuPress           = "menu_press"
	pChoiceInvalid       = "choice_invalid"
	pSearching           = "searching"
	pPleaseHold          = "please_hold"
	pNobodyReached       = "nobody_reached"
	pWhisperLine         = "whisper_line"
	pWhisperDoctor       = "whisper_doctor"
	pWhisperAsks         = "whisper_asks"
	pWhisperFallback     = "whisper_fallback"
	pAcceptKeys          = "accept_keys"
	pDeclinedAck         = "declined_ack"
	pCallerLeft          = "caller_left"
	pOutcomeMenu         = "outcome_menu"
	pDelayMenu           = "delay_menu"
	pOutcomeSaved        = "outcome_saved"
	pOutcomeLater        = "outcome_later"
	pSpecialistLeft      = "goodbye_specialist_left"
	pTechnicalError      = "technical_error"
	pConversationTooLong = "conversation_too_long"
	pResumed             = "resumed"
	pCallbackFor         = "callback_for"
	pCallbackPress       = "callback_press"
	pCallbackCalling     = "callback_calling"
	pCallbackCallsYou    = "callback_calls_you"
	pCallbackGPPress     = "callback_gp_press"
	pCallbackGPUnreached = "callback_gp_unreached"
	pCallbackRetry       = "callback_retry"
	pCallbackStaysOpen   = "callback_stays_open"
)

// RequiredPromptIDs lists every prompt the script may play.
func RequiredPromptIDs() []string {
	return []string{
		pWelcome, pEmergency15, pClosed, pUnknownNumber, pEnterRPPS, pRPPSInvalid, pNoInput,
		pEnterPIN, pPINWrong, pPINNotSet, pLocked, pNotEnrolled, pTooManyTries, pIdentImpossible, pCoordinatorContact,
		pGoodbye, pMenuIntro, pMenuFor, pMenuPress, pChoiceInvalid, pSearching, pPleaseHold,
		pNobodyReached, pWhisperLine, pWhisperDoctor, pWhisperAsks, pWhisperFallback, pAcceptKeys,
		pDeclinedAck, pCallerLeft, pOutcomeMenu, pDelayMenu, pOutcomeSaved, pOutcomeLater,
		pSpecialistLeft, pTechnicalError, pConversationTooLong, pResumed,
		pCallbackFor, pCallbackPress, pCallbackCalling, pCallbackCallsYou, pCallbackGPPress,
		pCallbackGPUnreached, pCallbackRetry, pCallbackStaysOpen,
	}
}

// Prompt is one recorded message.
type Prompt struct {
	ID    string `yaml:"id"`    // used in code (English)
	Sound string `yaml:"sound"` // Asterisk sound name, played as "sound:<Sound>"
	Text  string `yaml:"text"`  // the exact French text to speak
}

// Prompts is the loaded catalogue.
type Prompts struct {
	list []Prompt
	byID map[string]Prompt
}

// Sounds generated per territory, specialty and GP by the TTS tool; the
// script plays them by these names.

// TerritorySound names the recording of a territory's name.
func TerritorySound(slug string) string { return "regul/territoires/" + slug }

// SpecialtySound names the recording of a specialty's label in a territory.
func SpecialtySound(territorySlug, specialtySlug string) string {
	return "regul/specialites/" + territorySlug + "/" + specialtySlug
}

// NameSound names the recording of a practitioner's name.
func NameSound(rpps string) string { return "regul/noms/" + rpps }

var soundName = regexp.MustCompile(`^[a-z0-9_-]+(/[a-z0-9_-]+)*$`)

// LoadPrompts reads the catalogue file.
func LoadPrompts(path string) (*Prompts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load prompts: %w", err)
	}
	defer f.Close()
	p, err := LoadPromptsYAML(f)
	if err != nil {
		return nil, fmt.Errorf("load prompts %s: %w", path, err)
	}
	return p, nil
}

// LoadPromptsYAML reads a catalogue: a top-level `prompts:` list of
// {id, sound, text}. It fails on an unknown key, a duplicate id or sound, a
// malformed sound name, an empty text, and names every prompt the script
// needs that is missing.
func LoadPromptsYAML(r io.Reader) (*Prompts, error) {
	var doc struct {
		Prompts []yaml.Node `yaml:"prompts"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode YAML: %w", err)
	}
	p := &Prompts{byID: make(map[string]Prompt, len(doc.Prompts))}
	sounds := make(map[string]string, len(doc.Prompts))
	for _, n := range doc.Prompts {
		if err := checkPromptKeys(&n); err != nil {
			return nil, err
		}
		var pr Prompt
		if err := n.Decode(&pr); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		pr.Text = strings.TrimSpace(pr.Text)
		switch {
		case pr.ID == "":
			return nil, fmt.Errorf("line %d: prompt without an id", n.Line)
		case !soundName.MatchString(pr.Sound):
			return nil, fmt.Errorf("line %d: prompt %s: sound %q is not an Asterisk sound name like regul/bienvenue (no \"sound:\" prefix, no extension)", n.Line, pr.ID, pr.Sound)
		case pr.Text == "":
			return nil, fmt.Errorf("line %d: prompt %s: empty text", n.Line, pr.ID)
		}
		if _, dup := p.byID[pr.ID]; dup {
			return nil, fmt.Errorf("line %d: prompt id %s appears twice", n.Line, pr.ID)
		}
		if other, dup := sounds[pr.Sound]; dup {
			return nil, fmt.Errorf("line %d: prompt %s: sound %s is already prompt %s's", n.Line, pr.ID, pr.Sound, other)
		}
		sounds[pr.Sound] = pr.ID
		p.byID[pr.ID] = pr
		p.list = append(p.list, pr)
	}
	if err := p.checkRequired(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkPromptKeys catches a misspelt key, which Node.Decode would ignore.
func checkPromptKeys(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a prompt is a mapping of id, sound and text", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i]; k.Value {
		case "id", "sound", "text":
		default:
			return fmt.Errorf("line %d: unknown key %q (a prompt has id, sound and text)", k.Line, k.Value)
		}
	}
	return nil
}

func (p *Prompts) checkRequired() error {
	var missing []string
	for _, id := range RequiredPromptIDs() {
		if _, ok := p.byID[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return errors.New("prompt catalogue lacks " + strings.Join(missing, ", "))
	}
	return nil
}

// All returns the catalogue in file order (for the TTS and studio tools).
func (p *Prompts) All() []Prompt { return append([]Prompt(nil), p.list...) }

// Lookup returns a prompt by id.
func (p *Prompts) Lookup(id string) (Prompt, bool) {
	pr, ok := p.byID[id]
	return pr, ok
}

// media returns the playable media of a prompt id. The catalogue was checked
// at New, so an unknown id is a bug in this package.
func (p *Prompts) media(id string) string {
	pr, ok := p.byID[id]
	if !ok {
		panic("ivr: prompt " + id + " is not in the catalogue")
	}
	return "sound:" + pr.Sound
}
