{% macro mart_profieldimensies() %}
    {#- The KBI profile attributes (art. 3) every "by profile" mart is broken down by, one at a time (long format
        dimensie/waarde: no cross-tabulation, so each breakdown is a one-way table with the same published total).
        oudste_nationaliteit is deliberately absent: art. 2 allows it only to check proportional reach
        (mart_evenredig_bereik). -#}
    {{ return([
        'leeftijdscategorie', 'geslacht', 'scholingsniveau', 'doelgroep', 'kbi_regio', 'plo_besluit',
        'plo_reden_besluit', 'ingeschat_taalleervermogen', 'hoogst_behaald_niveau_nt2', 'trajecttype',
        'toeleiding_diplomagelijkschakeling', 'resultaat_diplomagelijkschakeling', 'heeft_ocmw_leefloon',
        'verblijfsstatus'
    ]) }}
{% endmacro %}


{% macro mart_halfjaar(datum) -%}
    {#- A date's half-year as the waves name them (2025-S2), used for the contract cohort. -#}
    case
        when {{ datum }} is not null
            then cast(extract(year from {{ datum }}) as varchar)
            || case when extract(month from {{ datum }}) <= 6 then '-S1' else '-S2' end
    end
{%- endmacro %}


{% macro mart_waarde(kolom) -%}
    {#- A dimension value as text; a missing value is its own category so every breakdown adds up to the total. -#}
    coalesce(
        case
            when cast({{ kolom }} as varchar) in ('true', 'false')
                then case when cast({{ kolom }} as varchar) = 'true' then 'ja' else 'nee' end
            else cast({{ kolom }} as varchar)
        end,
        'onbekend'
    )
{%- endmacro %}


{% macro mart_per_dimensie(relatie, dimensies) -%}
    {#- Every row of `relatie` once per dimension (plus once as `totaal`), with `dimensie` and `waarde` added.
        `dimensies` maps a dimension name to the SQL expression of its value. -#}
    select
        {{ relatie }}.*,
        'totaal' as dimensie,
        'totaal' as waarde
    from {{ relatie }}
    {%- for dimensie, expressie in dimensies.items() %}
    union all
    select
        {{ relatie }}.*,
        '{{ dimensie }}' as dimensie,
        {{ mart_waarde(expressie) }} as waarde
    from {{ relatie }}
    {%- endfor %}
{%- endmacro %}


{% macro mart_profiel_dimensies(relatie) -%}
    {%- set dimensies = {} -%}
    {%- for kolom in mart_profieldimensies() -%}
        {%- do dimensies.update({kolom: relatie ~ '.' ~ kolom}) -%}
    {%- endfor -%}
    {{ return(dimensies) }}
{%- endmacro %}


{% macro mart_toestand(gekend_bij_vdab, status_dienstverlening, uitgestroomd_naar_werk) -%}
    {#- A person's VDAB situation in one wave, for the transitions between waves. Work comes first: once a person
        found work that is the outcome the third pillar aims at, whatever the service status says. -#}
    case
        when {{ uitgestroomd_naar_werk }} then 'uitgestroomd naar werk'
        when not coalesce({{ gekend_bij_vdab }}, false) then 'niet gekend bij VDAB'
        else coalesce({{ status_dienstverlening }}, 'onbekend')
    end
{%- endmacro %}


{% macro mart_kbi_labelvelden() %}
    {#- KBI fields (art. 3) that staging maps from a label to a code (or ja/nee): empty when `<veld>_ruw` is empty,
        invalid when staging lists the field in `onbekende_labels`. -#}
    {{ return([
        'leeftijdscategorie', 'geslacht', 'scholingsniveau', 'oudste_nationaliteit', 'doelgroep', 'kbi_regio',
        'plo_besluit', 'plo_reden_besluit', 'ingeschat_taalleervermogen', 'hoogst_behaald_niveau_nt2', 'trajecttype',
        'toeleiding_diplomagelijkschakeling', 'resultaat_diplomagelijkschakeling', 'heeft_ocmw_leefloon',
        'verblijfsstatus'
    ]) }}
{% endmacro %}


{% macro mart_kbi_datumvelden() %}
    {#- KBI date fields (art. 3): invalid when staging lists the field in `datum_fouten`, empty when NULL otherwise. -#}
    {{ return(['datum_toeleiding_vdab', 'datum_doelgroep', 'datum_aanmelding', 'datum_inburgeringscontract']) }}
{% endmacro %}


{% macro mart_tellingen() %}
    {#- Per mart protected by the cell key method: the model with its true counts (models/tellingen), the columns that
        identify a cell, the counts to perturb and the statistics over a cell with the count behind them; `delen`:
        [part, whole] counts of one row, wholes before their parts; `geheel`: per kind of whole row, the key values
        that turn a row's key into its whole's (the other key columns stay). The one list that cell_key_perturbation
        and the measured information loss (ckm_informatieverlies) both read. -#}
    {{ return({
        'mart_inschrijving_vdab': {
            'telling': 'telling_inschrijving_vdab',
            'sleutel': ['golf', 'dimensie', 'waarde'],
            'aantallen': ['aantal_nieuwkomers', 'aantal_ingeschreven', 'aantal_ingeschreven_binnen_60_dagen'],
            'statistieken': {'mediaan_dagen_tot_inschrijving': 'aantal_ingeschreven'},
            'delen': [
                ['aantal_ingeschreven', 'aantal_nieuwkomers'],
                ['aantal_ingeschreven_binnen_60_dagen', 'aantal_ingeschreven'],
            ],
            'geheel': [{'dimensie': 'totaal', 'waarde': 'totaal'}],
        },
        'mart_evenredig_bereik': {
            'telling': 'telling_evenredig_bereik',
            'sleutel': ['golf', 'dimensie', 'waarde'],
            'aantallen': ['aantal_nieuwkomers', 'aantal_bereikt'],
            'delen': [['aantal_bereikt', 'aantal_nieuwkomers']],
            'geheel': [{'dimensie': 'totaal', 'waarde': 'totaal'}],
        },
        'mart_dienstverlening_vdab': {
            'telling': 'telling_dienstverlening_vdab',
            'sleutel': ['golf', 'dimensie', 'waarde', 'kenmerk', 'kenmerk_waarde'],
            'aantallen': ['aantal_personen'],
            'geheel': [{'kenmerk_waarde': 'totaal'}, {'dimensie': 'totaal', 'waarde': 'totaal'}],
        },
        'mart_uitstroom_werk': {
            'telling': 'telling_uitstroom_werk',
            'sleutel': ['golf', 'dimensie', 'waarde'],
            'aantallen': [
                'aantal_ingeschreven_6_maanden_verstreken', 'aantal_werk_binnen_6_maanden',
                'aantal_ingeschreven_12_maanden_verstreken', 'aantal_werk_binnen_12_maanden',
            ],
            'delen': [
                ['aantal_ingeschreven_12_maanden_verstreken', 'aantal_ingeschreven_6_maanden_verstreken'],
                ['aantal_werk_binnen_6_maanden', 'aantal_ingeschreven_6_maanden_verstreken'],
                ['aantal_werk_binnen_12_maanden', 'aantal_ingeschreven_12_maanden_verstreken'],
            ],
            'geheel': [{'dimensie': 'totaal', 'waarde': 'totaal'}],
        },
        'mart_datakwaliteit': {
            'telling': 'telling_datakwaliteit',
            'sleutel': ['golf', 'bron', 'veld'],
            'aantallen': ['aantal_rijen', 'aantal_leeg', 'aantal_niet_gekoppeld'],
            'delen': [['aantal_leeg', 'aantal_rijen'], ['aantal_niet_gekoppeld', 'aantal_rijen']],
        },
        'mart_overgangen': {
            'telling': 'telling_overgangen',
            'sleutel': ['golf', 'toestand_vorige', 'toestand_huidig'],
            'aantallen': ['aantal_personen'],
            'geheel': [{'toestand_huidig': 'totaal'}],
        },
    }) }}
{% endmacro %}


{% macro mart_kerncijfers() %}
    {#- The headline indicators (mart_evolutie_kerncijfers): each is the `totaal` row of a mart, a numerator and a
        denominator count of it. Also read by ckm_informatieverlies to compare them with the true percentages. -#}
    {{ return([
        {'indicator': 'bereikt door VDAB', 'mart': 'mart_evenredig_bereik',
            'teller': 'aantal_bereikt', 'noemer': 'aantal_nieuwkomers'},
        {'indicator': 'ingeschreven binnen 60 dagen na het inburgeringscontract', 'mart': 'mart_inschrijving_vdab',
            'teller': 'aantal_ingeschreven_binnen_60_dagen', 'noemer': 'aantal_nieuwkomers'},
        {'indicator': 'uitstroom naar werk binnen 6 maanden', 'mart': 'mart_uitstroom_werk',
            'teller': 'aantal_werk_binnen_6_maanden', 'noemer': 'aantal_ingeschreven_6_maanden_verstreken'},
        {'indicator': 'uitstroom naar werk binnen 12 maanden', 'mart': 'mart_uitstroom_werk',
            'teller': 'aantal_werk_binnen_12_maanden', 'noemer': 'aantal_ingeschreven_12_maanden_verstreken'},
    ]) }}
{% endmacro %}
