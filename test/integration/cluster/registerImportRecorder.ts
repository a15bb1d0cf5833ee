/** `node --import` this file to record every module a process loads (importRecorder.ts). */
import { register } from 'node:module';

register('./importRecorder.js', import.meta.url);
