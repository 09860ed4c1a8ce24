/** Component type tokens. They are part of every child's URN: renaming one replaces everything under it. */
export const PLATFORM_TOKEN = "orion:index:Platform";
export const SERVER_TOKEN = "orion:index:Server";
export const LOAD_BALANCER_TOKEN = "orion:index:ApiLoadBalancer";
