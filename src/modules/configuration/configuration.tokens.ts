/** Injection tokens of the configuration module: the validated AppConfig and this node's keys (NodeKeys). */
export const APP_CONFIG = Symbol('APP_CONFIG');
