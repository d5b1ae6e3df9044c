/** Injection token of the validated AppConfig (this node's keys are injected as the NodeKeys class). */
export const APP_CONFIG = Symbol('APP_CONFIG');
