import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./rules";

// Constructing the pack starts its gRPC server, so nothing else may import this file.
new PolicyPack("orion", { policies: POLICIES });
