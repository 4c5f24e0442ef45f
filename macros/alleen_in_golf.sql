{% materialization alleen_in_golf, default %}
    {#- On the analysts’ target (`analist`: the monitoring database only) a model built only during a wave, from the
        restricted database (everything with an INSZ) or with the pseudonym key, is materialised this way: dbt neither
        builds, replaces nor drops it, so `dbt build -s +mart_x` runs through its upstream models, builds what the
        monitoring database can build and uses the rest as the last wave left it (the restricted ones are absent). -#}
    {%- call statement('main') -%}
        select 1 as alleen_in_golf
    {%- endcall -%}
    {{ return({'relations': []}) }}
{% endmaterialization %}


{% macro wave_materialisatie(materialisatie) -%}
    {#- For a model that sets its materialisation in its own config (which wins over dbt_project.yml): the given one
        during a wave, `alleen_in_golf` on the analysts’ target. -#}
    {{- return('alleen_in_golf' if target.name == 'analist' else materialisatie) -}}
{%- endmacro %}
