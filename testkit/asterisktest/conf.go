package asterisktest

import "fmt"

// asteriskConf points every folder at the instance's own (no "(!)" after
// [directories]: that would make the section a template Asterisk ignores).
// astmoddir keeps the binary's compiled-in default.
func asteriskConf(dir string) string {
	return fmt.Sprintf(`[directories]
astetcdir => %[1]s/etc
astvarlibdir => %[1]s/data
astdbdir => %[1]s/db
astkeydir => %[1]s/data
astdatadir => %[1]s/data
astagidir => %[1]s/data/agi-bin
astspooldir => %[1]s/spool
astrundir => %[1]s/run
astlogdir => %[1]s/log
astcachedir => %[1]s/cache

[options]
defaultlanguage = fr
nocolor = yes
`, dir)
}

// modulesConf loads everything but the modules that bind well-known ports
// (two instances would fight over them) or talk to outside services.
const modulesConf = `[modules]
autoload = yes
noload = chan_iax2.so
noload = chan_unistim.so
noload = pbx_dundi.so
noload = chan_audiosocket.so
noload = res_audiosocket.so
noload = app_audiosocket.so
noload = chan_websocket.so
noload = res_pjsip_transport_websocket.so
noload = res_hep.so
noload = res_hep_pjsip.so
noload = res_hep_rtcp.so
noload = res_statsd.so
noload = res_prometheus.so
noload = res_phoneprov.so
noload = res_pjsip_phoneprov_provider.so
noload = res_config_pgsql.so
noload = res_config_sqlite3.so
noload = res_config_curl.so
noload = cdr_pgsql.so
noload = cel_pgsql.so
noload = cdr_sqlite3_custom.so
noload = cel_sqlite3_custom.so
noload = cdr_csv.so
noload = cdr_custom.so
noload = cel_custom.so
noload = cdr_manager.so
noload = cel_manager.so
noload = res_smdi.so
noload = res_calendar.so
noload = app_voicemail.so
noload = app_minivm.so
noload = res_rtp_multicast.so
noload = chan_rtp.so
noload = app_queue.so
noload = res_stun_monitor.so
noload = pbx_ael.so
noload = pbx_realtime.so
noload = pbx_spool.so
noload = res_agi.so
noload = app_festival.so
noload = res_pjsip_outbound_publish.so
noload = res_pjsip_publish_asterisk.so
noload = res_pjsip_exten_state.so
noload = res_fax.so
noload = res_aeap.so
noload = res_speech_aeap.so
noload = app_page.so
noload = app_confbridge.so
noload = res_parking.so
noload = app_agent_pool.so
noload = res_pjsip_notify.so
`

const loggerConf = `[general]
dateformat = %F %T.%3q
[logfiles]
console => notice,warning,error,verbose
`

// indicationsConf: France's tones, for tone: playbacks and Ringing().
const indicationsConf = `[general]
country = fr
[fr]
description = France
ringcadence = 1500,3500
dial = 440
busy = 440/500,0/500
ring = 440/1500,0/3500
congestion = 440/250,0/250
callwaiting = 440/300,0/10000
dialrecall = !350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440
record = 1400/500,0/15000
info = !950/330,!1400/330,!1800/330
stutter = !440/100,!0/100,!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,!440/100,!0/100,440
`
