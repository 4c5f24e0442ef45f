{% macro vdab_actietypen() %}
    {#- The action types art. 3 of the protocol names, as the codes stg_vdab__acties maps VDAB's labels to. One list
        feeds both the intermediate count and the columns of the enriched file, so they cannot drift apart. -#}
    {{ return(['orientatie', 'context', 'competentieversterking', 'solliciteren']) }}
{% endmacro %}
