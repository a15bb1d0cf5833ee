import assert from 'node:assert/strict';
import { smsReplyTwiml, voiceTwiml } from '../../../src/sources/twiml.js';

/** XML's five predefined entities, decoded (all TwiML text uses). */
const unxml = (s: string): string => s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] as string);

describe('TwiML', () => {
  const hostile = `Disk </Say><Dial>+15550001111</Dial> & "quoted" it's`;

  it('writes a call: gathers with their action, says, a pause and the hang-up, in order', () => {
    const t = voiceTwiml([
      { verb: 'gather', text: 'Press 1.', language: 'en-US', action: 'https://l.example/api/v1/twilio/voice/gather?call=7&x=1', timeoutS: 8 },
      { verb: 'say', text: 'Goodbye.', language: 'en-US' },
      { verb: 'pause', seconds: 1 },
      { verb: 'say', text: 'Plain.' },
      { verb: 'hangup' },
    ]);
    assert.equal(
      t,
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Gather input="dtmf" numDigits="1" timeout="8" action="https://l.example/api/v1/twilio/voice/gather?call=7&amp;x=1" method="POST"><Say language="en-US">Press 1.</Say></Gather>' +
        '<Say language="en-US">Goodbye.</Say><Pause length="1"/><Say>Plain.</Say><Hangup/></Response>',
    );
  });

  it('escapes text from outside, so it cannot add verbs, and it reads back as written', () => {
    const t = voiceTwiml([{ verb: 'say', text: hostile, language: 'en-US' }, { verb: 'hangup' }]);
    assert.doesNotMatch(t, /<Dial>/);
    const said = /<Say language="en-US">([^<]*)<\/Say><Hangup\/><\/Response>$/.exec(t)?.[1];
    assert.equal(unxml(said ?? ''), hostile);
  });

  it('writes the reply to an inbound SMS', () => {
    assert.equal(smsReplyTwiml('Lifeline: 7KQ2 acknowledged'), '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Lifeline: 7KQ2 acknowledged</Message></Response>');
    const said = /<Response><Message>([^<]*)<\/Message><\/Response>$/.exec(smsReplyTwiml(hostile))?.[1];
    assert.equal(unxml(said ?? ''), hostile);
  });
});
