"use strict";
function thingSpecToHclTerraform(struct) {
    const attrs = {
        size_gb: {
            value: cdktf.numberToHclTerraform(struct.sizeGb),
            isBlock: false,
            type: "simple",
            storageClassType: "number",
        },
    };
    return attrs;
}
class ThingSpecOutputReference extends cdktf.ComplexObject {
    get sizeGb() {
        return this.getNumberAttribute('size_gb');
    }
    // fingerprint - computed: true, optional: false, required: false
    get fingerprint() {
        return this.getStringAttribute('fingerprint');
    }
}
function thingRuleActionToHclTerraform(struct) {
    const attrs = {
        type: {
            value: cdktf.stringToHclTerraform(struct.type),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
    };
    return attrs;
}
function thingRuleToHclTerraform(struct) {
    const attrs = {
        action: {
            value: thingRuleActionToHclTerraform(struct.action),
            isBlock: true,
            type: "set",
            storageClassType: "ThingRuleActionList",
        },
    };
    return attrs;
}
function thingTimeoutsToHclTerraform(struct) {
    const attrs = {
        create: {
            value: cdktf.stringToHclTerraform(struct.create),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
    };
    return attrs;
}
class ThingStatusOutputReference extends cdktf.ComplexObject {
    get ready() {
        return this.getBooleanAttribute('ready');
    }
    get urls() {
        return this.getListAttribute('urls');
    }
}
class Thing extends cdktf.TerraformResource {
    constructor(scope, id, config) {
        super(scope, id, {});
        // status - computed: true, optional: false, required: false
        this._status = new ThingStatusList(this, "status", false);
        this._effectiveLabels = new cdktf.StringMap(this, "effective_labels");
        this._spec = new ThingSpecOutputReference(this, "spec");
    }
    get name() {
        return this.getStringAttribute('name');
    }
    get nameInput() {
        return this._name;
    }
    // self_link - computed: true, optional: false, required: false
    get selfLink() {
        return this.getStringAttribute('self_link');
    }
    // members - computed: true, optional: false, required: false
    get members() {
        return cdktf.Fn.tolist(this.getListAttribute('members'));
    }
    get ready() {
        return this.getBooleanAttribute('ready');
    }
    get status() {
        return this._status;
    }
    get effectiveLabels() {
        return this._effectiveLabels;
    }
    get spec() {
        return this._spec;
    }
    synthesizeHclAttributes() {
        const attrs = {
            build: {
                value: cdktf.stringToHclTerraform(this._build),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            enabled: {
                value: cdktf.booleanToHclTerraform(this._enabled),
                isBlock: false,
                type: "simple",
                storageClassType: "boolean",
            },
            id: {
                value: cdktf.stringToHclTerraform(this._id),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            ipv6_prefixes: {
                value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(this._ipv6Prefixes),
                isBlock: false,
                type: "set",
                storageClassType: "stringList",
            },
            labels: {
                value: cdktf.hashMapperHcl(cdktf.stringToHclTerraform)(this._labels),
                isBlock: false,
                type: "map",
                storageClassType: "stringMap",
            },
            name: {
                value: cdktf.stringToHclTerraform(this._name),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            rule: {
                value: cdktf.listMapperHcl(thingRuleToHclTerraform, true)(this._rule.internalValue),
                isBlock: true,
                type: "list",
                storageClassType: "ThingRuleList",
            },
            spec: {
                value: thingSpecToHclTerraform(this._spec.internalValue),
                isBlock: true,
                type: "list",
                storageClassType: "ThingSpecList",
            },
            timeouts: {
                value: thingTimeoutsToHclTerraform(this._timeouts.internalValue),
                isBlock: true,
                type: "struct",
                storageClassType: "ThingTimeouts",
            },
        };
        return attrs;
    }
}
exports.Thing = Thing;
Thing.tfResourceType = "google_thing";
